"""Where a student's notebook runs while it is graded, and how everything it started ends.

- :func:`workspace`: a temporary folder holding a real copy of the notebook's folder (no links
  back to the student's files, no ``runs/``, no other notebooks, no symbolic links) and a
  private, empty home folder;
- :func:`kernel_environment`: the few variables the kernel gets (not the grader's whole
  environment), with that home, the quick profile and a tag naming this grading;
- :class:`SupervisedKernelManager`: starts the kernel through :mod:`.supervisor` (its own
  session, a memory cap), so that a notebook killing its kernel's parent kills the supervisor
  only;
- :func:`end_processes`: every process carrying the tag, or seen as a descendant, killed.
"""

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

MEMORY_LIMIT = 8 << 30  # bytes of address space a kernel may map (lesson 06 maps 3.5 GiB)
TAG = "GAN_COURSE_GRADING"  # environment variable naming the grading a process belongs to
_SKIPPED_ENTRIES = {"runs", ".ipynb_checkpoints"}
_PASSED_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "CUDA_VISIBLE_DEVICES")
_PASSED_PREFIXES = ("GAN_COURSE_",)


@contextlib.contextmanager
def workspace(folder):
    """``(cwd, home)``: a copy of ``folder`` (see the module's docstring) and an empty home,
    both removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="gan-course-grading-"))
    try:
        cwd, home = root / "notebook", root / "home"
        shutil.copytree(folder, cwd, symlinks=True, ignore=_not_copied)
        home.mkdir()
        yield cwd, home
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _not_copied(folder, names):
    return {name for name in names if name in _SKIPPED_ENTRIES or name.endswith(".ipynb")
            or os.path.islink(os.path.join(folder, name))}


def kernel_environment(home, tag, profile="quick"):
    """The kernel's environment: :data:`_PASSED_VARIABLES`, the course's own settings, ``home``
    as HOME and TMPDIR, the profile, the tag, and the path to this very ``gan_course``."""
    import gan_course

    env = {name: value for name, value in os.environ.items()
           if name in _PASSED_VARIABLES or name.startswith(_PASSED_PREFIXES)}
    tmp = Path(home) / "tmp"
    tmp.mkdir(exist_ok=True)
    package_parent = str(Path(gan_course.__file__).resolve().parents[1])
    paths = [package_parent] if "-packages" not in package_parent else []
    env.update(HOME=str(home), TMPDIR=str(tmp), GAN_COURSE_PROFILE=profile, MPLBACKEND="agg",
               PYTHONPATH=os.pathsep.join(paths), TF_CPP_MIN_LOG_LEVEL="2", **{TAG: tag})
    env.setdefault("PATH", os.defpath)
    return env


class SupervisedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command runs under :mod:`.supervisor`."""

    memory_limit = MEMORY_LIMIT

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        supervisor = Path(__file__).with_name("supervisor.py")
        return [sys.executable, str(supervisor), "--memory", str(self.memory_limit), "--",
                *command]


def descendants(pid):
    """The processes below ``pid`` now (empty when it is gone)."""
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def end_processes(tag, seen=()):
    """SIGKILL every process of this user carrying ``tag`` in its environment, and those of
    ``seen`` (psutil processes, checked against reused ids); the number killed."""
    import psutil

    found = {process.pid: process for process in seen if _same(process)}
    for process in psutil.process_iter(["environ", "uids"]):
        with contextlib.suppress(psutil.Error, TypeError):
            if (process.info["uids"] and process.info["uids"].real == os.getuid()
                    and (process.info["environ"] or {}).get(TAG) == tag):
                found[process.pid] = process
    found.pop(os.getpid(), None)
    for process in found.values():
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(list(found.values()), timeout=5)
    return len(found)


def _same(process):
    with contextlib.suppress(Exception):
        return process.is_running()  # psutil compares the start time: not a reused id
    return False

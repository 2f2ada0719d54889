"""One grading session: run a student's notebook in a fresh kernel, then ask it for the verdicts.

The notebook runs top to bottom in a new ``python3`` kernel, in the quick profile, errors allowed
(one broken exercise costs that exercise only), within one time limit for the whole notebook:
when it runs out, the running cell is interrupted and the rest skipped. The kernel works in a
scratch folder that shows the notebook's own folder through links, except ``runs/``: a grading
never resumes the student's training runs, nor shares one with another notebook graded at the
same time, and writes nothing into the student's folder.

Then, for each exercise, the grader sends :mod:`gan_course.classroom.probe` with the course's
sources as one ``user_expressions`` entry, along with a token drawn at that moment, and reads the
verdict from the kernel's reply to that very request, checking the token; each check has its
own time limit.
"""

import ast
import asyncio
import contextlib
import json
import math
import os
import queue
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from gan_course.checks.core import FAILED, NOT_ATTEMPTED, PASSED

STATUSES = (PASSED, FAILED, NOT_ATTEMPTED)  # what a check can say
ERROR = "error"  # the grader could not get a verdict (time limit, dead kernel, broken probe)
_SKIPPED_ENTRIES = {"runs", ".ipynb_checkpoints"}
_INTERRUPT_GRACE = 15  # seconds a kernel gets to answer after an interrupt
PREPARE_TIMEOUT = 300  # seconds to import the checks (and TensorFlow) before the first check


@dataclass
class Verdict:
    """One exercise's outcome: a status of :data:`STATUSES` or :data:`ERROR`, and why."""

    status: str
    message: str = ""
    hint: str = ""


@dataclass
class SessionResult:
    """What a session learnt: the verdicts, the cells that raised, and why it stopped early."""

    verdicts: dict  # exercise id -> Verdict
    cell_errors: list = field(default_factory=list)  # (cell number, exception name, message)
    problem: str = ""  # the notebook did not run to its end, or no verdict could be asked
    replaced: list = field(default_factory=list)  # builtins/NumPy names the notebook had changed

    def add_problem(self, text):
        self.problem = "; ".join(p for p in (self.problem, text) if p)


@cache
def course_sources():
    """``{module name: (filename, source)}`` for every module of the installed ``gan_course``."""
    import gan_course

    package_dir = Path(gan_course.__file__).resolve().parent
    sources = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        sources[name] = (str(path), path.read_text(encoding="utf-8"))
    return sources


def probe_expression(function, arguments):
    """The expression that calls ``function(arguments)`` of the probe in the student's kernel,
    the probe built from the source the grader read; ``arguments`` is Python source."""
    filename, source = course_sources()["gan_course.classroom.probe"]
    return (f"(lambda probe: (exec(compile({source!r}, {filename!r}, 'exec'), probe), "
            f"probe[{function!r}]({arguments}))[1])({{'__name__': 'gan_course_grading_probe'}})")


def check_expression(exercise_id, names, token, snapshot_token):
    """The expression whose value, in the student's kernel, is the verdict as JSON."""
    return probe_expression("check_exercise", f"{course_sources()!r}, globals(), "
                            f"{exercise_id!r}, {list(names)!r}, {token!r}, {snapshot_token!r}")


def read_probe_reply(reply, exercise_id, token):
    """``(Verdict, replaced names)`` from an execute reply to :func:`check_expression`; the
    Verdict is None if the check was interrupted at its time limit."""
    content = reply["content"]
    if content.get("status") != "ok":
        return Verdict(ERROR, f"the grader's request failed ({content.get('ename')}: "
                              f"{content.get('evalue')})."), []
    value = content.get("user_expressions", {}).get("verdict", {})
    if value.get("status") != "ok":
        if value.get("ename") == "KeyboardInterrupt":
            return None, []
        return Verdict(ERROR, f"the check could not run ({value.get('ename')}: "
                              f"{' '.join(str(value.get('evalue')).split())[:300]})."), []
    try:
        payload = json.loads(ast.literal_eval(value["data"]["text/plain"]))
        if (payload["token"], payload["exercise"]) != (token, exercise_id):
            raise ValueError("token")
        if payload["status"] not in STATUSES:
            raise ValueError("status")
        verdict = Verdict(payload["status"], str(payload["message"]), str(payload["hint"]))
        return verdict, [str(name) for name in payload["changed"]]
    except (KeyError, TypeError, ValueError, SyntaxError):
        return Verdict(ERROR, "the kernel's answer to the grader was not a verdict "
                              "(something in the notebook changed how the kernel replies)."), []


@contextlib.contextmanager
def scratch_folder(folder):
    """A temporary folder showing ``folder``'s files through links, without ``runs/``."""
    scratch = Path(tempfile.mkdtemp(prefix="gan-course-grading-"))
    try:
        for entry in Path(folder).iterdir():
            if entry.name in _SKIPPED_ENTRIES or entry.suffix == ".ipynb":
                continue
            with contextlib.suppress(OSError):  # no symlinks allowed (Windows): not shown
                (scratch / entry.name).symlink_to(entry.resolve(), entry.is_dir())
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(nb, folder, arguments, timeout, check_timeout, profile="quick"):
    """Execute ``nb`` (its outputs replaced) and check each exercise of ``arguments``.

    arguments: ``{exercise id: [function names its check takes]}``, in order.
    """
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with scratch_folder(folder) as scratch:
        return asyncio.run(_session(nb, scratch, arguments, timeout, check_timeout, profile))


async def _session(nb, cwd, arguments, timeout, check_timeout, profile):
    from nbclient import NotebookClient

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": "TimeoutError", "evalue": _time_limit_text(timeout),
                          "traceback": []},
        resources={"metadata": {"path": str(cwd)}})
    env = {**os.environ, "GAN_COURSE_PROFILE": profile}
    result = SessionResult({})
    # the kernel's own start-up logs (TensorFlow's) would drown the grader's report
    snapshot_token = secrets.token_hex(16)
    async with client.async_setup_kernel(env=env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL):
        if await _snapshot(client, snapshot_token, result) and await _run_cells(
                client, nb, timeout, result):
            await _check_all(client, arguments, check_timeout, snapshot_token, result)
    for exercise_id in arguments:
        result.verdicts.setdefault(exercise_id, Verdict(ERROR, f"not checked: {result.problem}."))
    result.cell_errors = _cell_errors(nb)
    return result


async def _snapshot(client, token, result):
    """Record builtins and NumPy before the first cell (see grading_probe); False if the kernel
    died."""
    from nbclient.exceptions import DeadKernelError

    try:
        await _reply(client, client.kc.execute(
            "", silent=True, store_history=False,
            user_expressions={"snapshot": probe_expression("take_snapshot", repr(token))}), 60)
    except DeadKernelError:
        result.add_problem("the kernel died as it started")
        return False
    return True


async def _run_cells(client, nb, timeout, result):
    """Run every cell within ``timeout`` seconds in all; False if the kernel died."""
    from nbclient.exceptions import DeadKernelError

    timed_out = []
    client.on_cell_executed = lambda cell_index, execute_reply, **_: timed_out.append(
        cell_index) if execute_reply["content"].get("evalue") == _time_limit_text(timeout) else None
    deadline = time.monotonic() + timeout
    for index, cell in enumerate(nb.cells):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            result.add_problem(f"the notebook's time limit of {timeout} s ran out before cell "
                               f"{index}; it and the cells after it did not run")
            break
        client.timeout = math.ceil(remaining)
        try:
            await client.async_execute_cell(cell, index,
                                            execution_count=client.code_cells_executed + 1)
        except DeadKernelError:
            result.add_problem(f"the kernel died in cell {index} (the notebook crashed Python: "
                               "out of memory, or code that ends the process)")
            return False
        if timed_out:
            result.add_problem(f"the notebook's time limit of {timeout} s ran out in cell "
                               f"{index}; the cells after it did not run")
            break
    return True


async def _check_all(client, arguments, check_timeout, snapshot_token, result):
    from nbclient.exceptions import DeadKernelError

    lessons = sorted({int(exercise_id.split(".")[0]) for exercise_id in arguments})
    try:
        for lesson in lessons:
            expression = probe_expression("prepare", f"{course_sources()!r}, {lesson}")
            reply = await _reply(client, client.kc.execute(
                "", silent=True, store_history=False, user_expressions={"ready": expression}),
                PREPARE_TIMEOUT)
            ready = (reply or {}).get("content", {}).get("user_expressions", {}).get("ready", {})
            if ready.get("status") != "ok":
                why = f"{ready.get('ename')}: {ready.get('evalue')}" if ready else "no answer"
                result.add_problem(f"the checks could not be loaded in the kernel ({why})")
                return
    except DeadKernelError:
        result.add_problem("the kernel died while the checks were loaded")
        return
    for exercise_id, names in arguments.items():
        token = secrets.token_hex(16)
        message_id = client.kc.execute(
            "", silent=True, store_history=False, allow_stdin=False, stop_on_error=False,
            user_expressions={"verdict": check_expression(exercise_id, names, token,
                                                          snapshot_token)})
        try:
            reply = await _reply(client, message_id, check_timeout)
            if reply is None:
                await client.km.interrupt_kernel()
                reply = await _reply(client, message_id, _INTERRUPT_GRACE)
        except DeadKernelError:
            result.add_problem(f"the kernel died while exercise {exercise_id} was checked")
            return
        verdict, replaced = read_probe_reply(reply, exercise_id, token) if reply else (None, [])
        result.replaced += [name for name in replaced if name not in result.replaced]
        result.verdicts[exercise_id] = verdict or Verdict(
            ERROR, f"its check did not finish within {check_timeout} s: does "
                   f"{' or '.join(names)} loop forever?")
        if reply is None:
            result.add_problem(f"the kernel stopped answering while exercise {exercise_id} "
                               "was checked")
            return


async def _reply(client, message_id, timeout):
    """The shell reply to ``message_id``, or None after ``timeout`` seconds."""
    from nbclient.exceptions import DeadKernelError

    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = await client.kc.shell_channel.get_msg(timeout=min(remaining, 1.0))
        except queue.Empty:
            if not await client.km.is_alive():
                raise DeadKernelError("Kernel died") from None
            continue
        if message["parent_header"].get("msg_id") == message_id:
            return message
    return None


def _time_limit_text(timeout):
    return f"the notebook's time limit of {timeout} s ran out here"


def _cell_errors(nb):
    return [(number, output.ename, " ".join(output.evalue.split()))
            for number, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for output in cell.get("outputs", []) if output.output_type == "error"]

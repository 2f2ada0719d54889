"""The process between the grader and a student's kernel; run as a script, before any course code.

    python supervisor.py --memory BYTES -- KERNEL COMMAND...

It starts the kernel in a new session with its address space capped at ``BYTES``
(``RLIMIT_AS``) and no core files, forwards the grader's interrupts to it, and becomes the
"child subreaper" of everything the kernel starts (Linux), so that a process the notebook
detaches is still its descendant. When the kernel ends, or the grader stops the supervisor, every
process of the kernel's session and every descendant is killed. A notebook that kills its
kernel's parent kills this process only: the grader sees it die and records an error.

This module imports only the standard library and psutil.
"""

import contextlib
import ctypes
import os
import resource
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Orphaned descendants become this process's children (Linux only; elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def kill_descendants(session):
    """SIGKILL the process group ``session`` and every descendant of this process, until none
    is left."""
    import psutil

    with contextlib.suppress(OSError):
        os.killpg(session, signal.SIGKILL)
    for _ in range(50):
        children = psutil.Process().children(recursive=True)
        if not children:
            return
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.kill()
        psutil.wait_procs(children, timeout=0.2)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        time.sleep(0.05)


def main(argv):
    if "--" not in argv or argv[:1] != ["--memory"]:
        sys.exit("usage: supervisor.py --memory BYTES -- KERNEL COMMAND...")
    memory, command = int(argv[1]), argv[argv.index("--") + 1:]

    def limits():
        # macOS accepts RLIMIT_AS only as high as it already is: there, no memory cap
        with contextlib.suppress(*(() if sys.platform == "linux" else (ValueError, OSError))):
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    become_subreaper()
    kernel = subprocess.Popen(command, start_new_session=True, preexec_fn=limits)  # noqa: PLW1509

    def interrupt(signum, frame):
        with contextlib.suppress(OSError):
            os.kill(kernel.pid, signal.SIGINT)

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    code = 143
    try:
        code = kernel.wait()
    finally:
        kill_descendants(kernel.pid)
    sys.exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])

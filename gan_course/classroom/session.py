"""One grading session: run a student's notebook in a fresh, supervised kernel, then ask it for
the verdicts.

The notebook runs top to bottom in a new ``python3`` kernel started through
:mod:`.supervisor` in the workspace of :mod:`.sandbox` (a real copy of its folder, a private
home, a memory cap, its own session), in the quick profile, errors allowed (one broken exercise
costs that exercise only), within one time limit for the whole notebook: when it runs out, the
running cell is interrupted and the rest skipped; a kernel that keeps running after the
interrupt is not waited for. What the notebook prints is kept up to :data:`OUTPUT_LIMIT`.

Before the first cell, the grader sends :mod:`.probe` and the course's sources, with a signing
key drawn at that moment (:func:`setup_expression`); after the last, for each exercise, it asks
for the verdict with a fresh nonce (:func:`serve_expression`) and accepts only an answer signed
with that key (:func:`read_probe_reply`); each check has its own time limit. At the end every
process the notebook started is killed.
"""

import ast
import asyncio
import contextlib
import hmac
import math
import os
import queue
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from gan_course.checks.core import FAILED, NOT_ATTEMPTED, PASSED
from gan_course.classroom import probe, sandbox

STATUSES = (PASSED, FAILED, NOT_ATTEMPTED)  # what a check can say
ERROR = "error"  # the grader could not get a verdict (time limit, dead kernel, broken probe)
_INTERRUPT_GRACE = 15  # seconds a kernel gets to answer after an interrupt
PREPARE_TIMEOUT = 300  # seconds to import the checks (and TensorFlow) before the first cell
OUTPUT_LIMIT = 16 << 20  # characters of output kept per notebook (lesson 06 prints 2 M)
_TRACEBACK_LINES = 30  # lines of an error's traceback kept
_KILLED_PARENT = "the notebook killed its kernel's parent process"


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
    references: list = field(default_factory=list)  # answers that are the course's own functions
    output_kept: int = 0  # characters of output kept
    output_dropped: int = 0  # characters of output beyond OUTPUT_LIMIT, not kept

    @property
    def output_note(self):
        """What the teacher reads when output was dropped; empty otherwise."""
        return (f"it printed {self.output_kept + self.output_dropped:,} characters; the grader "
                f"kept {self.output_kept:,} of them") if self.output_dropped else ""

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


def setup_expression(lessons, key, token):
    """The expression that, in a kernel no student code has run in yet, compiles the probe (with
    a private copy of the builtins) and calls its ``setup``."""
    filename, source = course_sources()["gan_course.classroom.probe"]
    arguments = f"{course_sources()!r}, {list(lessons)!r}, {key!r}, {token!r}, globals()"
    return (f"(lambda builtins: (lambda probe: (exec(compile({source!r}, {filename!r}, 'exec'), "
            f"probe), probe['setup']({arguments}))[1])({{'__name__': 'gan_course_grading_probe', "
            f"'__builtins__': dict(vars(builtins))}}))(__import__('builtins'))")


def serve_expression(token, exercise_id, nonce, names):
    """The expression asking for one verdict: it finds the probe's class from ``object``, without
    looking up any name the notebook could rebind."""
    return (f"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == "
            f"{probe.ANCHOR + token!r}][0].serve({exercise_id!r}, {nonce!r}, {list(names)!r})")


def read_probe_reply(reply, exercise_id, nonce, key):
    """``(Verdict, replaced names, reference notes)`` from an execute reply to
    :func:`serve_expression`; the Verdict is None if the check was interrupted at its time
    limit."""
    content = reply["content"]
    if content.get("status") != "ok":
        return Verdict(ERROR, f"the grader's request failed ({content.get('ename')}: "
                              f"{content.get('evalue')})."), [], []
    value = content.get("user_expressions", {}).get("verdict", {})
    if value.get("status") != "ok":
        if value.get("ename") == "KeyboardInterrupt":
            return None, [], []
        return Verdict(ERROR, f"the check could not run ({value.get('ename')}: "
                              f"{' '.join(str(value.get('evalue')).split())[:300]})."), [], []
    try:
        payload = decode(ast.literal_eval(value["data"]["text/plain"]), key)
        if (payload["nonce"], payload["exercise"]) != (nonce, exercise_id):
            raise ValueError("nonce")
        if payload["status"] not in STATUSES:
            raise ValueError("status")
    except (KeyError, TypeError, ValueError, SyntaxError, MemoryError, RecursionError):
        return Verdict(ERROR, "the kernel's answer to the grader was not a verdict "
                              "(something in the notebook changed how the kernel replies)."), [], []
    verdict = Verdict(payload["status"], payload["message"], payload["hint"])
    return verdict, _lines(payload["changed"]), _lines(payload["reference"])


def decode(text, key):
    """The fields of :func:`probe.encode`'s ``text``; ValueError unless signed with ``key``."""
    body, _, signature = str(text).rpartition(".")
    if not hmac.compare_digest(hmac.new(key, body.encode("ascii"), "sha256").hexdigest(),
                               signature):
        raise ValueError("not signed with the grader's key")
    values = [bytes.fromhex(part).decode("utf-8") for part in body.split(":")]
    if len(values) != len(probe.FIELDS):
        raise ValueError("fields")
    return dict(zip(probe.FIELDS, values))


def _lines(text):
    return [line for line in text.split("\n") if line]


def run(nb, folder, arguments, timeout, check_timeout, profile="quick",
        output_limit=OUTPUT_LIMIT, memory_limit=sandbox.MEMORY_LIMIT):
    """Execute ``nb`` (its outputs replaced) and check each exercise of ``arguments``.

    arguments: ``{exercise id: [function names its check takes]}``, in order.
    """
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    tag, seen = secrets.token_hex(16), set()
    with sandbox.workspace(folder) as (cwd, home):
        try:
            return asyncio.run(_session(
                _client(nb, cwd, timeout, output_limit, memory_limit), nb, arguments,
                sandbox.kernel_environment(home, tag, profile), check_timeout, seen))
        finally:
            sandbox.end_processes(tag, seen)


def _client(nb, cwd, timeout, output_limit, memory_limit):
    from nbclient import NotebookClient

    class Client(NotebookClient):
        """Keeps at most ``output_limit`` characters of output, and short tracebacks."""

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            if msg.get("msg_type") == "error":
                content["traceback"] = content.get("traceback", [])[-_TRACEBACK_LINES:]
                content["evalue"] = str(content.get("evalue", ""))[:2000]
            size = _size(content)
            if self.kept + size > output_limit and msg.get("msg_type") != "error":
                self.dropped += size
                return None
            self.kept += size
            return super().output(outs, msg, display_id, cell_index)

    class Manager(sandbox.SupervisedKernelManager):
        pass

    Manager.memory_limit = memory_limit
    client = Client(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": "TimeoutError", "evalue": _time_limit_text(timeout),
                          "traceback": []},
        kernel_manager_class=Manager, shutdown_kernel="immediate",
        resources={"metadata": {"path": str(cwd)}})
    client.kept = client.dropped = 0
    return client


def _size(value):
    """Characters of text in a message's content."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, list):
        return sum(_size(v) for v in value)
    return 0


async def _session(client, nb, arguments, env, check_timeout, seen):
    result = SessionResult({})
    key, token = secrets.token_bytes(32), secrets.token_hex(16)
    lessons = sorted({int(exercise_id.split(".")[0]) for exercise_id in arguments})
    # the kernel's own start-up logs (TensorFlow's) would drown the grader's report
    async with client.async_setup_kernel(env=env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL):
        supervisor = client.km.provisioner.process.pid
        try:
            if (await _setup(client, lessons, key, token, result)
                    and await _run_cells(client, nb, result, supervisor, seen)
                    and await _check_all(client, arguments, check_timeout, key, token, result)
                    and not await client.km.is_alive()):
                result.add_problem(f"the kernel's supervisor was killed ({_KILLED_PARENT})")
                result.verdicts.clear()
        finally:
            seen.update(sandbox.descendants(supervisor))
            await _stop(client, supervisor)
    for exercise_id in arguments:
        result.verdicts.setdefault(exercise_id, Verdict(ERROR, f"not checked: {result.problem}."))
    result.cell_errors = _cell_errors(nb)
    result.output_kept, result.output_dropped = client.kept, client.dropped
    return result


async def _stop(client, supervisor):
    """Ask the supervisor to end the kernel and everything it started; wait up to 10 s."""
    with contextlib.suppress(OSError):
        os.kill(supervisor, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and await client.km.is_alive():
        await asyncio.sleep(0.1)


async def _setup(client, lessons, key, token, result):
    """Send the probe before the first cell (see :func:`setup_expression`); False if it failed."""
    from nbclient.exceptions import DeadKernelError

    try:
        reply = await _reply(client, client.kc.execute(
            "", silent=True, store_history=False,
            user_expressions={"ready": setup_expression(lessons, key, token)}), PREPARE_TIMEOUT)
    except DeadKernelError:
        result.add_problem("the kernel died as it started")
        return False
    ready = (reply or {}).get("content", {}).get("user_expressions", {}).get("ready", {})
    if ready.get("status") != "ok":
        why = f"{ready.get('ename')}: {ready.get('evalue')}" if ready else "no answer"
        result.add_problem(f"the checks could not be loaded in the kernel ({why})")
        return False
    return True


async def _run_cells(client, nb, result, supervisor, seen):
    """Run every cell within the notebook's time limit in all; False if the kernel died or
    cannot be used any more."""
    from nbclient.exceptions import DeadKernelError

    timeout, timed_out = client.timeout, []
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
        seen.update(sandbox.descendants(supervisor))
        if not await client.km.is_alive():
            result.add_problem(f"the kernel's supervisor was killed in cell {index} "
                               f"({_KILLED_PARENT})")
            return False
        if timed_out:
            result.add_problem(f"the notebook's time limit of {timeout} s ran out in cell "
                               f"{index}; the cells after it did not run")
            return await _answers(client, index, result)
    return True


async def _answers(client, index, result):
    """Whether the kernel answers a request within the grace period after an interrupt."""
    message_id = client.kc.execute("", silent=True, store_history=False)
    if await _reply(client, message_id, _INTERRUPT_GRACE) is not None:
        return True
    result.add_problem(f"the kernel kept running cell {index} after it was interrupted "
                       f"(for {_INTERRUPT_GRACE} s), so no exercise could be checked")
    return False


async def _check_all(client, arguments, check_timeout, key, token, result):
    """Ask for each exercise's verdict; True if the kernel answered every request."""
    from nbclient.exceptions import DeadKernelError

    for exercise_id, names in arguments.items():
        nonce = secrets.token_hex(16)
        message_id = client.kc.execute(
            "", silent=True, store_history=False, allow_stdin=False, stop_on_error=False,
            user_expressions={"verdict": serve_expression(token, exercise_id, nonce, names)})
        try:
            reply = await _reply(client, message_id, check_timeout)
            if reply is None:
                await client.km.interrupt_kernel()
                reply = await _reply(client, message_id, _INTERRUPT_GRACE)
        except DeadKernelError:
            result.add_problem(f"the kernel died while exercise {exercise_id} was checked")
            return False
        verdict, replaced, references = (read_probe_reply(reply, exercise_id, nonce, key)
                                         if reply else (None, [], []))
        result.replaced += [name for name in replaced if name not in result.replaced]
        result.references += [note for note in references if note not in result.references]
        result.verdicts[exercise_id] = verdict or Verdict(
            ERROR, f"its check did not finish within {check_timeout} s: does "
                   f"{' or '.join(names)} loop forever?")
        if reply is None:
            result.add_problem(f"the kernel stopped answering while exercise {exercise_id} "
                               "was checked")
            return False
    return True


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

"""The machinery behind exercise checks: one verdict line, a result object, precise hints.

A check is a function decorated with :func:`exercise`. Its body calls the student's code through
:func:`call`, compares with :func:`expect` and returns a sentence saying what it verified. Anything
wrong raises :class:`Mismatch`, which the decorator turns into a single ``❌`` line with a hint; a
student function that still raises ``NotImplementedError`` gives "not attempted yet". A check
never raises, prints exactly one line and returns a :class:`CheckResult`.

``check.verdict(...)`` returns the same result without printing it: the grader calls it on the
student's functions itself, so a notebook's printed lines never count as verdicts.
"""

import functools
import inspect
import re
import warnings
from dataclasses import dataclass

import numpy as np

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
SEEDS = (0, 1, 2)  # the seeded inputs most checks try
RESULTS = {}  # exercise id -> the latest CheckResult of this Python process
LINE_RE = re.compile(
    r"^(?P<mark>✅|❌) Exercise (?P<id>\d+(?:\.\d+)*)(?P<status> passed| not attempted yet)?: "
)
_MAX_LINE_PART = 300
_TF_NOISE = re.compile(r"\{\{function_node [^}]*\}\}\s*")


class Mismatch(Exception):
    """The answer is wrong: ``problem`` says how (shape, value at an input), ``hint`` what to try."""

    def __init__(self, problem, hint=""):
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


class NotAttempted(Exception):
    """The student's function still raises ``NotImplementedError``."""


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check; truthy when it passed."""

    exercise: str
    status: str  # PASSED, FAILED or NOT_ATTEMPTED
    message: str
    hint: str = ""

    @property
    def passed(self):
        return self.status == PASSED

    @property
    def line(self):
        if self.status == PASSED:
            return f"✅ Exercise {self.exercise} passed: {self.message}"
        if self.status == NOT_ATTEMPTED:
            return f"❌ Exercise {self.exercise} not attempted yet: {self.message}"
        hint = f" Hint: {self.hint}" if self.hint else ""
        return f"❌ Exercise {self.exercise}: {self.message}{hint}"

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self.line

    def _ipython_display_(self):
        """The verdict line is already printed; a notebook shows nothing more."""


def parse_line(line):
    """``(exercise id, status)`` for a verdict line printed by a check, else ``None``."""
    match = LINE_RE.match(line.strip())
    if not match:
        return None
    status = {" passed": PASSED, " not attempted yet": NOT_ATTEMPTED}.get(match["status"], FAILED)
    if match["mark"] == "❌" and status == PASSED:
        return None
    return match["id"], status


def exercise(exercise_id, hint=""):
    """Turn ``body(*student_functions) -> "what was verified"`` into a student-facing check.

    ``hint`` is the default hint for failures that name no more specific one (for example when
    the student's function raises an exception).
    """

    def decorate(body):
        names = list(inspect.signature(body).parameters)

        @functools.wraps(body)
        def check(*functions):
            result = _run(exercise_id, body, names, functions, hint)
            RESULTS[exercise_id] = result
            print(result.line)
            return result

        def verdict(*functions):
            """The :class:`CheckResult`, without printing or recording it (for the grader)."""
            return _run(exercise_id, body, names, functions, hint)

        check.exercise = exercise_id
        check.verdict = verdict
        return check

    return decorate


def _run(exercise_id, body, names, functions, hint):
    try:
        if len(functions) != len(names):
            raise Mismatch(
                f"this check takes {len(names)} function(s), {', '.join(names)}; "
                f"it was given {len(functions)}.",
                f"run it as ex_{exercise_id.replace('.', '_')}({', '.join(names)}).",
            )
        for name, fn in zip(names, functions):
            if not callable(fn):
                raise Mismatch(
                    f"expected the function {name}, got {_type_name(fn)}.",
                    f"pass the function itself, without calling it: {name}, not {name}(...).",
                )
        return CheckResult(exercise_id, PASSED, one_line(body(*functions)))
    except NotAttempted as err:
        return CheckResult(exercise_id, NOT_ATTEMPTED, one_line(str(err)))
    except Mismatch as err:
        return CheckResult(exercise_id, FAILED, one_line(err.problem), one_line(err.hint or hint))
    except Exception as err:  # noqa: BLE001 - a bug in a check must not reach the student as a traceback
        return CheckResult(exercise_id, FAILED,
                           f"the check itself failed ({type(err).__name__}: {one_line(str(err))}).",
                           "please tell your teacher.")


def call(fn, *args):
    """Call the student's ``fn`` on copies of ``args``; its exceptions become verdicts.

    NumPy warnings are silenced (a check prints one line); ``NotImplementedError`` means the
    exercise is not attempted yet, any other exception a failure naming it.
    """
    name = getattr(fn, "__name__", "your function")
    copies = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*copies)
    except NotImplementedError:
        raise NotAttempted(
            f"{name} still raises NotImplementedError. Replace the `raise NotImplementedError(...)` "
            "line with your code, run that cell, then run this check again."
        ) from None
    except Exception as err:  # noqa: BLE001 - whatever the student's code raises becomes a verdict
        shown = ", ".join(fmt(a) for a in args)
        message = _TF_NOISE.sub("", str(err))  # TensorFlow prefixes op errors with internal names
        raise Mismatch(f"{name}({shown}) raised {type(err).__name__}: {one_line(message)}") from None


def as_numbers(value, what):
    """``value`` as a float64 array, or a Mismatch saying why it is not numbers."""
    if value is None:
        raise Mismatch(f"{what} returned None.", "did you forget the `return` statement?")
    try:
        if isinstance(value, (str, bytes)) or np.asarray(value).dtype.kind not in "biuf":
            raise TypeError("not numbers")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(value, dtype=np.float64)
    except Exception:  # noqa: BLE001 - any value that is not numbers gets the same message
        raise Mismatch(f"{what} returned {_type_name(value)}, not numbers.",
                       "return a NumPy array, a TensorFlow tensor or a float.") from None


def expect(got, expected, *, what, inputs=None, mistakes=(), hint="", nonfinite_hint="",
           rtol=1e-5, atol=1e-6):
    """Check the student's output ``got`` against ``expected``; return it as an array.

    what: how messages name the output, e.g. ``"value_function(d_real, d_fake)"``.
    inputs: ``{name: value}`` shown in messages; for elementwise functions (inputs of the output's
        shape) the message shows the inputs at the first wrong element.
    mistakes: ``(wrong_output, hint)`` pairs for typical mistakes; if ``got`` matches one, its
        hint is given.
    nonfinite_hint: the hint when ``got`` holds nan or inf.
    """
    expected = np.asarray(expected, dtype=np.float64)
    arr = as_numbers(got, what)
    if arr.shape != expected.shape:
        if arr.size == expected.size == 1:
            arr = arr.reshape(expected.shape)
        else:
            raise Mismatch(f"{what} returned shape {arr.shape}, expected {expected.shape}"
                           f"{_inputs_text(inputs, None, expected.shape)}.",
                           _shape_hint(arr.shape, expected.shape) or hint)
    close = np.isclose(arr, expected, rtol=rtol, atol=atol)
    if close.all():
        return arr
    index = tuple(int(i) for i in np.argwhere(~close)[0]) if arr.ndim else None
    got_text, expected_text = (fmt(arr), fmt(expected)) if index is None else (
        fmt(arr[index]), fmt(expected[index]))
    at = _inputs_text(inputs, index, expected.shape)
    problem = f"{what} returned {got_text}{at}; expected {expected_text}."
    for wrong, why in mistakes:
        wrong = np.asarray(wrong, dtype=np.float64)
        if wrong.shape == arr.shape and np.isfinite(wrong).all() and np.allclose(
                arr, wrong, rtol=rtol, atol=atol):
            raise Mismatch(problem, why)
    if not np.isfinite(arr).all() and nonfinite_hint:
        raise Mismatch(problem, nonfinite_hint)
    raise Mismatch(problem, hint)


def seeded(seed):
    """A NumPy random generator for the seeded inputs of a check."""
    return np.random.default_rng(seed)


def fmt(value, digits=6):
    """A short text for a number or an array: ``0.123457``, ``[0.1, 0.2, 0.3, … (8 values)]``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except Exception:  # noqa: BLE001 - anything else is described by its type
        return _type_name(value)
    if arr.ndim == 0:
        return f"{float(arr):.{digits}g}"
    flat = [f"{v:.4g}" for v in arr.ravel()[:4]]
    if arr.size > 4:
        flat[-1] = f"… ({arr.size} values{_shape_note(arr.shape)})"
    elif arr.ndim > 1:
        flat[-1] += f" (shape {arr.shape})"
    return "[" + ", ".join(flat) + "]"


def one_line(text):
    """``text`` on one line, shortened if very long."""
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_LINE_PART else text[: _MAX_LINE_PART - 1] + "…"


def _shape_note(shape):
    return f", shape {shape}" if len(shape) > 1 else ""


def _inputs_text(inputs, index, shape):
    if not inputs:
        return ""
    parts = []
    for name, value in inputs.items():
        arr = np.asarray(value) if not isinstance(value, (str, bytes)) else None
        if index is not None and arr is not None and arr.shape == shape:
            parts.append(f"{name}={fmt(arr[index])}")
        else:
            parts.append(f"{name}={fmt(value)}")
    return (" at " if index is not None else " for ") + ", ".join(parts)


def _shape_hint(got, expected):
    if expected == () or expected == (1,):
        return "return a single number: average with np.mean (or tf.reduce_mean)."
    if got == ():
        return "work elementwise: return one value per input element, without averaging."
    return f"return an array of shape {expected}, one value per input element."


def _type_name(value):
    return article(type(value).__name__)


def article(name):
    """``name`` with its indefinite article: "an int", "a Tensor"."""
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"

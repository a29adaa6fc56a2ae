"""The errors a call into the sandbox can end with, and the one place that words them.

Each error carries typed fields (what was called, the exception's built-in name,
the seconds allowed, the exit status, the reason); :func:`message` is the only
code that turns them into the sentences a student or teacher reads, and nothing
parses a sentence back. A hidden case's message (``hidden=True``) shows nothing
the student's code chose: no exception text, no class name of its own, no line
number, no exit code.
"""

from __future__ import annotations

import builtins
import signal

MESSAGE_LIMIT = 2048
"""Most characters of any message a student sees (and of anything stored per case)."""


def cap(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, with a mark where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def first_line(text: str, limit: int = 300) -> str:
    """The first non-empty line of ``text``, at most ``limit`` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return cap(line, limit)


def describe_status(status: str) -> str:
    """Words for a child's exit status ("exit N", "signal N", anything else)."""
    kind, _, num = status.partition(" ")
    if kind == "signal":
        try:
            name = signal.Signals(int(num)).name
        except ValueError:
            name = f"signal {num}"
        if name == "SIGXCPU":
            return "it used up its CPU time"
        if name == "SIGSYS":
            return "the kernel stopped a forbidden system call"
        return f"killed by {name}"
    if kind == "oom":
        return "it used more memory than allowed"
    if kind == "exit":
        return f"exit code {num}"
    return "it stopped answering"


def builtin_name(exc_type: str) -> str:
    """``exc_type`` if it names a built-in exception, else "an exception"."""
    obj = getattr(builtins, exc_type, None)
    return exc_type if isinstance(obj, type) and issubclass(obj, BaseException) else "an exception"


class SandboxError(Exception):
    """Student code could not deliver a value.

    Parameters
    ----------
    label : str
        What was called or read, as the grader wrote it (``double``, ``fit.center_``).
    detail : str
        For the teacher only (a traceback, an exit status, the codec's reason).
    """

    kind = "error"

    def __init__(self, label: str, detail: str = ""):
        self.label = label
        self.detail = detail
        super().__init__(self.student_message)

    @property
    def function(self) -> str:
        """The student's function or variable behind ``label`` (``fit`` for ``fit.center_``)."""
        return self.label.split(".")[0].split("[")[0].split("(")[-1].rstrip(")")

    @property
    def student_message(self) -> str:
        """The message of a public case."""
        return message(self, hidden=False)

    @property
    def short(self) -> str:
        """The message of a hidden case: nothing the student's code chose."""
        return message(self, hidden=True)


class StudentError(SandboxError):
    """The student's code raised an exception (``exc_type`` and text as the child reported)."""

    kind = "raised"

    def __init__(
        self, label: str, exc_type: str, exc_message: str, line: int | None, detail: str = ""
    ):
        self.exc_type, self.exc_message, self.line = exc_type, exc_message, line
        super().__init__(label, detail)


class StudentAttributeError(StudentError, AttributeError):
    """Reading an attribute of a student object raised AttributeError (so hasattr works)."""


class CalledExit(StudentError):
    """The student's code called ``sys.exit()`` in a call."""

    kind = "exit"

    def __init__(self, label: str, line: int | None):
        super().__init__(label, "SystemExit", "", line)


class ReturnedNonData(SandboxError):
    """The student's value could not be turned into data (``reason``: the encoder's words)."""

    kind = "unsendable"

    def __init__(self, label: str, reason: str):
        self.reason = reason
        super().__init__(label)


class CallTimeout(SandboxError):
    """A call ran past its deadline of ``seconds``; the child was killed."""

    kind = "timeout"

    def __init__(self, label: str, seconds: float):
        self.seconds = seconds
        super().__init__(label)


class BudgetExceeded(SandboxError):
    """The submission used up its time budget of ``seconds`` in all; nothing more runs."""

    kind = "budget"

    def __init__(self, label: str, seconds: float):
        self.seconds = seconds
        super().__init__(label)


class ChildDied(SandboxError):
    """The child ended (``status``: "exit N", "signal N") or broke the protocol (``reason``)."""

    kind = "died"

    def __init__(self, label: str, status: str = "", reason: str = "", detail: str = ""):
        self.status, self.reason = status, reason
        super().__init__(label, detail or status)


class ImportFailed(SandboxError):
    """The student module could not be imported.

    ``cause`` is the error behind it: a :class:`StudentError` (raised or exited), a
    :class:`CallTimeout` or a :class:`ChildDied`.
    """

    kind = "import"

    def __init__(self, module: str, cause: SandboxError):
        self.module, self.cause = module, cause
        super().__init__(module, cause.detail)


class StaleHandle(SandboxError):
    """A handle from a child that has since been replaced."""

    kind = "stale"


def message(exc: SandboxError, *, hidden: bool = False) -> str:
    """The student's message for ``exc`` (the only place such messages are written)."""
    label = exc.label
    if isinstance(exc, ImportFailed):
        return cap(_import_message(exc, hidden))
    if isinstance(exc, CalledExit):
        return f"{label} called sys.exit(); return a value instead"
    if isinstance(exc, StudentError):
        where = f" (line {exc.line} of your file)" if exc.line and not hidden else ""
        if hidden:
            return cap(f"{label} raised {builtin_name(exc.exc_type)}")
        text = first_line(exc.exc_message)
        said = f"{label} raised {exc.exc_type}" + (f": {text}" if text else "")
        return cap(said + where)
    if isinstance(exc, ReturnedNonData):
        if hidden:
            return f"{label} returned a value the grader cannot accept"
        return cap(f"{label} returned a value the grader cannot accept: {first_line(exc.reason)}")
    if isinstance(exc, CallTimeout):
        return cap(f"{label} was stopped after {exc.seconds:g} s")
    if isinstance(exc, BudgetExceeded):
        return cap(
            f"your code used up this submission's time budget of {exc.seconds:g} s "
            "(all its calls together), so this check was stopped"
        )
    if isinstance(exc, ChildDied):
        if exc.reason:
            return cap(f"{label} {exc.reason}")
        if hidden:
            return f"{label} ended the sandbox process"
        return cap(f"{label} ended the sandbox process ({describe_status(exc.status)})")
    if isinstance(exc, StaleHandle):
        return cap(f"{label} was lost when the sandbox restarted")
    return cap(f"{label} failed in the sandbox")


def _import_message(exc: ImportFailed, hidden: bool) -> str:
    module, cause = exc.module, exc.cause
    if isinstance(cause, CallTimeout):
        return f"{module}.py was stopped after {cause.seconds:g} s while being imported"
    if isinstance(cause, ChildDied):
        if cause.reason:
            return f"{module}.py {cause.reason} while being imported"
        return (
            f"{module}.py ended the sandbox process while being imported "
            f"({describe_status(cause.status)})"
        )
    if isinstance(cause, CalledExit):
        return f"{module}.py called sys.exit() while being imported"
    if isinstance(cause, StudentError):
        line = f" (line {cause.line})" if cause.line and not hidden else ""
        if hidden:
            return f"{module}.py does not import: {builtin_name(cause.exc_type)}"
        text = first_line(cause.exc_message)
        return f"{module}.py does not import: {cause.exc_type}: {text}{line}"
    return f"{module}.py does not import: {message(cause, hidden=hidden)}"


def event(exc: SandboxError) -> str | None:
    """The integrity flag for the teacher that ``exc`` leaves (a kind, then the message).

    An exception the student's code raised is no flag (None): it is the student's bug.
    """
    if isinstance(exc, ImportFailed):
        cause = exc.cause
        if isinstance(cause, CallTimeout):
            return f"timeout: import stopped after {cause.seconds:g} s"
        if isinstance(cause, ChildDied):
            return f"died: during import ({cause.status or cause.reason})"
        return f"import: {message(exc)}"[:300]
    if isinstance(exc, CalledExit):
        return f"exit: {exc.label} called sys.exit()"
    if isinstance(exc, ReturnedNonData):
        return f"unsendable: {exc.label} returned {exc.reason}"[:300]
    if isinstance(exc, StudentError):
        return None
    return f"{exc.kind}: {message(exc)}"[:300]

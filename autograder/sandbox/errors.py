"""The errors a call into the sandbox can end with, and the words for a child's exit status."""

from __future__ import annotations

import builtins
import signal


class SandboxError(Exception):
    """Student code could not deliver a value. ``student_message`` is safe to show."""

    kind = "error"

    def __init__(self, label: str, student_message: str, detail: str = ""):
        super().__init__(f"{label}: {student_message}")
        self.label = label
        self.student_message = student_message
        self.detail = detail
        self.short = student_message
        """What a hidden case shows: nothing the student's code chose (text, exit code)."""


class StudentError(SandboxError):
    """The student's code raised an exception."""

    kind = "raised"

    def __init__(self, label: str, exc_type: str, message: str, line: int | None, detail: str):
        where = f" (line {line} of your file)" if line else ""
        text = f"{label} raised {exc_type}: {message}" if message else f"{label} raised {exc_type}"
        super().__init__(label, text + where, detail)
        self.exc_type, self.exc_message, self.line = exc_type, message, line
        # hidden cases: a built-in exception's name, never a class name the student chose
        shown = exc_type if isinstance(getattr(builtins, exc_type, None), type) else "an exception"
        self.short = f"{label} raised {shown}{where}"


class StudentAttributeError(StudentError, AttributeError):
    """Reading an attribute of a student object raised AttributeError (so hasattr works)."""


class ReturnedNonData(SandboxError):
    """The student's value could not be turned into data (too deep, unencodable)."""

    kind = "unsendable"

    def __init__(self, label: str, student_message: str, detail: str = ""):
        super().__init__(label, student_message, detail)
        self.short = f"{label} returned a value the grader cannot accept"


class CallTimeout(SandboxError):
    """A call ran past its deadline; the child was killed."""

    kind = "timeout"


class ChildDied(SandboxError):
    """The child process ended (exit, crash, resource limit) or broke the protocol."""

    kind = "died"

    def __init__(self, label: str, student_message: str, detail: str = ""):
        super().__init__(label, student_message, detail)
        self.short = f"{label} ended the sandbox process"


class ImportFailed(SandboxError):
    """The student module could not be imported."""

    kind = "import"


class StaleHandle(SandboxError):
    """A handle from a child that has since been replaced."""

    kind = "stale"


def describe_status(status: str) -> str:
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


def first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"

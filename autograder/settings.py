"""The settings of a batch, resolved once: command line, then ``assignment.toml``, then defaults.

One :class:`Settings` object is built by :func:`resolve`, checked as a whole (every
bad value reported with where it came from), and handed unchanged to local and
Dask workers. :func:`fingerprint` hashes it together with every file of the
grader folder, the data the student module reads, and the engine version, so a
result graded under anything else is regraded.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder import __version__
from autograder.assignment import Assignment

BOUNDS = {
    "timeout": (1.0, 3600.0, "seconds per call", "--timeout"),
    "memory_mb": (256, 65536, "MB", "--memory"),
    "budget": (1.0, 86400.0, "seconds per submission", "--budget"),
}
"""Setting -> (lowest, highest, unit, command-line option). Below 256 MB the warm
sandbox interpreter cannot even start, and no call finishes usefully in under 1 s
on a loaded machine; limits above these but still too tight are caught by the
reference gate (:mod:`autograder.reference`). A budget must also be at least the
call timeout (else the timeout could never be reached)."""

BUDGET_FACTOR = 10
"""The default budget of a submission, in call timeouts."""


class SettingsError(ValueError):
    """One or more settings are out of range; ``problems`` has one sentence each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """What every grading worker needs to grade exactly alike."""

    timeout: float
    """Seconds allowed for each call into student code."""
    memory_mb: int
    """Memory limit of the sandbox child, in MB."""
    budget: float = 0.0
    """Seconds all calls of one submission may take together (0: ``BUDGET_FACTOR`` x timeout)."""
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """Setting -> where its value came from (``--memory``, ``assignment.toml``, ``default``)."""

    def describe(self, name: str) -> str:
        """``--memory 450`` or ``memory_mb = 2048 in assignment.toml``: a setting and its origin."""
        value = getattr(self, name)
        where = self.sources.get(name, "default")
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return f"{where} {shown}" if where.startswith("--") else f"{name} = {shown} ({where})"

    def __post_init__(self) -> None:
        if not self.budget:  # built by hand, without resolve(): the default budget
            object.__setattr__(self, "budget", BUDGET_FACTOR * float(self.timeout))

    def key(self) -> dict:
        """The values that change a result (for the fingerprint)."""
        data = asdict(self)
        data.pop("sources")
        return data


def resolve(
    assignment: Assignment,
    *,
    timeout: float | None = None,
    memory_mb: int | None = None,
    budget: float | None = None,
) -> Settings:
    """The batch's settings; raises :class:`SettingsError` listing every bad value.

    Each value comes from the command line if given, else from ``assignment.toml``,
    else from the defaults (the budget's: ``BUDGET_FACTOR`` times the timeout).
    """
    given = {"timeout": timeout, "memory_mb": memory_mb, "budget": budget}
    toml = f"assignment.toml of {assignment.name}"
    values, sources, problems, shown = {}, {}, [], {}
    for name, (low, high, unit, option) in BOUNDS.items():
        if given[name] is not None:
            value, where = given[name], option
        elif getattr(assignment, name, None) is not None:
            value, where = getattr(assignment, name), toml
        else:  # only the budget has no value of its own: 10 x the (resolved) timeout
            value, where = BUDGET_FACTOR * float(values["timeout"]), "default"
        if where == option:
            shown[name] = f"{option} {value:g}"
        elif where == toml:
            shown[name] = f"{name} = {value:g} in {toml}"
        else:
            shown[name] = f"the default {name} {value:g} ({BUDGET_FACTOR} x the timeout)"
        if not low <= value <= high:
            problems.append(f"{shown[name]}: must be between {low:g} and {high:g} {unit}")
        values[name], sources[name] = value, where
    if not problems and values["budget"] < values["timeout"]:
        problems.append(
            f"{shown['budget']}: must be at least the time of one call ({shown['timeout']})"
        )
    if problems:
        raise SettingsError(problems)
    return Settings(
        timeout=float(values["timeout"]),
        memory_mb=int(values["memory_mb"]),
        budget=float(values["budget"]),
        sources=sources,
    )


def fingerprint(assignment: Assignment, settings: Settings) -> str:
    """Hash of everything a result depends on besides the submission itself."""
    h = hashlib.sha256()
    files = [
        p
        for p in sorted(assignment.grader_dir.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ]
    shared = [p for p in assignment.support_files() if p not in files]  # graderkit.py
    for path in [*files, *shared, *assignment.data_paths]:
        name = path.relative_to(assignment.grader_dir) if path in files else path.name
        h.update(f"{name}".encode() + b"\0")
        h.update(_content(path) if path.is_file() else b"(missing)")
        h.update(b"\0")
    h.update(json.dumps(settings.key(), sort_keys=True).encode())
    h.update(f"engine {__version__}".encode())
    return h.hexdigest()[:16]


def _content(path: Path) -> bytes:
    """What a file of the grader folder contributes: its bytes, but for ``assignment.toml``
    its settings without the ``[[manual]]`` questions (the teacher's points are merged
    after grading, so declaring or renaming one regrades nothing)."""
    if path.name != "assignment.toml":
        return path.read_bytes()
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return path.read_bytes()
    raw.pop("manual", None)
    return json.dumps(raw, sort_keys=True).encode()

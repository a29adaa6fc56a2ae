"""Assignments: where their graders, bundles and settings are."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
GRADERS_DIR = PACKAGE_DIR / "graders"
REPO_DIR = PACKAGE_DIR.parent
ASSIGNMENTS_DIR = REPO_DIR / "assignments"
SOLUTIONS_DIR = REPO_DIR / "solutions"


class UnknownAssignment(LookupError):
    """No grader folder of that name."""


@dataclass(frozen=True)
class ManualQuestion:
    """A question the teacher grades by hand (``[[manual]]`` in ``assignment.toml``)."""

    name: str
    """Column name in gradebook.csv and in the manual-points CSV, e.g. ``r1_reflection``."""
    title: str
    """What the student reads, e.g. ``R1: advice to the policy team``."""
    points: float
    """Points possible."""


@dataclass(frozen=True)
class Assignment:
    """One assignment's settings (``autograder/graders/<name>/assignment.toml``)."""

    name: str
    """Folder name, e.g. ``handwriting``."""
    title: str
    """Human title."""
    module: str
    """Module name of the student file (``handwriting`` for ``handwriting.py``)."""
    timeout: float = 20.0
    """Seconds allowed for each call into student code."""
    memory_mb: int = 2048
    """Address-space limit of the sandbox child, in MB."""
    budget: float | None = None
    """Seconds all calls of one submission may take together (None: 10 x ``timeout``)."""
    data: tuple[str, ...] = field(default_factory=tuple)
    """Files of the bundle copied next to the student module in the sandbox."""
    manual: tuple[ManualQuestion, ...] = ()
    """Questions graded by the teacher (points entered in a CSV, see :mod:`autograder.manual`)."""
    root: Path | None = None
    """Folder holding ``graders/<name>`` and ``assignments/<name>`` (default: this package's)."""

    @property
    def grader_dir(self) -> Path:
        return (self.root / "graders" if self.root else GRADERS_DIR) / self.name

    @property
    def bundle_dir(self) -> Path:
        return (self.root / "assignments" if self.root else ASSIGNMENTS_DIR) / self.name

    @property
    def data_paths(self) -> list[Path]:
        return [self.bundle_dir / f for f in self.data]

    def grader_files(self) -> list[Path]:
        """The question files, in order (q1_..., q2_...)."""
        return sorted(self.grader_dir.glob("q*.py"), key=_question_order)

    def support_files(self) -> list[Path]:
        """What the question files load besides themselves: ``support/`` (the assignment's
        ``_shared.py`` and data of the graders' own) and, when there is a ``support/``,
        the kit every assignment shares (``graders/graderkit.py``)."""
        support = self.grader_dir / "support"
        if not support.is_dir():
            return []
        files = sorted(p for p in support.iterdir() if p.is_file() and p.suffix != ".pyc")
        kit = self.grader_dir.parent / "graderkit.py"
        return [kit if kit.is_file() else GRADERS_DIR / "graderkit.py", *files]

    def public_files(self) -> list[Path]:
        """The generated public copies in the student bundle."""
        return sorted((self.bundle_dir / "tests").glob("q*.py"), key=_question_order)


def _question_order(path: Path) -> tuple[int, str]:
    digits = "".join(ch for ch in path.stem[1:].split("_")[0] if ch.isdigit())
    return (int(digits) if digits else 0, path.stem)


def load(name: str, root: Path | None = None) -> Assignment:
    """The assignment called ``name``; raises :class:`UnknownAssignment` with the choices.

    ``root`` is a folder with ``graders/<name>/`` (tests use their own); default: ours.
    """
    config = (root / "graders" if root else GRADERS_DIR) / name / "assignment.toml"
    if not config.is_file():
        known = ", ".join(names()) or "none"
        raise UnknownAssignment(f"no assignment called {name!r} (known: {known})")
    with open(config, "rb") as fh:
        raw = tomllib.load(fh)
    unknown = set(raw) - {"title", "module", "timeout", "memory_mb", "budget", "data", "manual"}
    if unknown:
        raise ValueError(f"{config}: unknown setting(s) {', '.join(sorted(unknown))}")
    try:
        timeout, memory_mb = float(raw.get("timeout", 20.0)), int(raw.get("memory_mb", 2048))
        budget = float(raw["budget"]) if "budget" in raw else None
    except (TypeError, ValueError):
        raise ValueError(f"{config}: timeout, memory_mb and budget must be numbers") from None
    manual = _manual_questions(raw.get("manual", []), config)
    return Assignment(
        name=name,
        title=str(raw.get("title", name)),
        module=str(raw.get("module", name)),
        timeout=timeout,
        memory_mb=memory_mb,
        budget=budget,
        data=tuple(raw.get("data", ())),
        manual=manual,
        root=root,
    )


def _manual_questions(raw: object, config: Path) -> tuple[ManualQuestion, ...]:
    """The ``[[manual]]`` tables of ``assignment.toml``, checked."""
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ValueError(f"{config}: manual must be [[manual]] tables")
    out: list[ManualQuestion] = []
    for table in raw:
        name, points = table.get("name"), table.get("points")
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{config}: each [[manual]] needs a name like r1_reflection")
        if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
            raise ValueError(f"{config}: [[manual]] {name}: points must be a number above 0")
        if name in {q.name for q in out} or (config.parent / f"{name}.py").exists():
            raise ValueError(f"{config}: [[manual]] {name}: the name is taken")
        out.append(ManualQuestion(name, str(table.get("title", name)), float(points)))
    return tuple(out)


def names() -> list[str]:
    """Every assignment that has a grader folder."""
    return sorted(p.parent.name for p in GRADERS_DIR.glob("*/assignment.toml"))

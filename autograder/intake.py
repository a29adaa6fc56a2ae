"""Find the submissions in what a teacher downloaded: a folder, or an LMS zip.

The steps, in order (see :func:`find_submissions`): unpack a zip safely, skip
what is not a submission (``__MACOSX``, ``.DS_Store``, notes, other files) with
the reason, read each name the way Canvas, Moodle or Brightspace wrote it, find
the module inside per-student folders, and keep one submission per student by
the LMS's own ordering. Everything that was not graded, every replacement and
every name collision is reported; nothing is dropped silently.

Student ids are one-to-one, at most :data:`MAX_ID` characters, and made only of
letters, digits and ``_`` (``müller_777`` keeps its letters), so they are safe as
file names and wherever they are printed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

SUFFIXES = (".py", ".ipynb")
"""File types that are submissions (a module, or a notebook whose code cells are the module)."""
MAX_ID = 64
"""Longest student id: longer names are cut and get a hash of the full name."""
JUNK = {"__macosx", ".ds_store", "thumbs.db", "desktop.ini", "__pycache__", ".ipynb_checkpoints"}
"""Names an operating system or tool adds to a download: never a student's work."""
ZIP_MAX_MEMBERS = 20_000
ZIP_MAX_FILE = 64 * 1024 * 1024
"""Largest file taken out of a zip; bigger ones are listed as not graded."""
ZIP_MAX_TOTAL = 1024 * 1024 * 1024
"""Most bytes taken out of one zip (a zip bomb stops here)."""

# Canvas: lastnamefirstname_12345_67890_handwriting.py, also ..._LATE_12345_67890_...
_CANVAS = re.compile(r"^(?P<name>[^_]+?)(?:_late)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<orig>.+)$", re.I)
# Moodle: Full Name_12345_assignsubmission_file_ (a folder) or ..._file_handwriting.py
_MOODLE = re.compile(
    r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_(?P<kind>[a-z]+)_?(?P<orig>.*)$", re.I
)
# Brightspace: 12345-67890 - Noor Hendriks - Nov 3, 2026 1013 PM - handwriting.py
_BRIGHTSPACE = re.compile(
    r"^(?P<sub>\d+)-(?P<uid>\d+) - (?P<name>.+?) - "
    r"(?P<date>[A-Za-z]{3,9}\.? \d{1,2}, \d{4} \d{3,4} ?[AP]M) - (?P<orig>.+)$"
)
# A browser's or file manager's copy: handwriting (1).py
_COPY = re.compile(r"^(?P<base>.+?) ?\((?P<n>\d+)\)$")


class NoSubmissions(ValueError):
    """Nothing in the folder or zip is a submission; the message says what was there."""


@dataclass(frozen=True)
class Submission:
    """One student's file to grade, with what the LMS said about it."""

    student: str
    """Student id: letters, digits and ``_``; unique in the batch."""
    path: Path
    """The file to grade (it may be missing: the student is told so)."""
    note: str = ""
    """Something the teacher should know about the file (a symbolic link, say)."""
    lms: str = ""
    """``canvas``, ``moodle``, ``brightspace`` or empty (a plain folder)."""
    lms_user_id: str = ""
    """Canvas user id, Moodle participant id, Brightspace user id (the second number)."""
    lms_submission_id: str = ""
    """Canvas attachment id or Brightspace submission id (the first number)."""
    display_name: str = ""
    """The student's name as the LMS wrote it (Canvas: ``lastnamefirstname``)."""
    found_as: str = ""
    """The name in the download, relative to its top, as printable text."""


@dataclass
class Intake:
    """What :func:`find_submissions` found."""

    submissions: list[Submission] = field(default_factory=list)
    """One per student, sorted by student id."""
    not_graded: list[tuple[str, str]] = field(default_factory=list)
    """(name in the download, why it was not graded), for the summary and report.md."""
    replaced: list[str] = field(default_factory=list)
    """One sentence per earlier submission that a later one replaced."""
    collisions: list[str] = field(default_factory=list)
    """One sentence per pair of names that read as the same student and were kept apart."""
    workdir: Path | None = None
    """Temporary folder a zip was unpacked into (removed by :meth:`cleanup`)."""

    def cleanup(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def report_lines(self) -> list[str]:
        """Every replacement, collision and file not graded, one line each."""
        return (
            [f"replaced: {r}" for r in self.replaced]
            + [f"kept apart: {c}" for c in self.collisions]
            + [f"not graded: {name}: {why}" for name, why in self.not_graded]
        )


def printable(text: str, limit: int = 120) -> str:
    """``text`` safe to print on one line: control characters escaped, length capped."""
    out = "".join(
        ch if ch.isprintable() else ascii(ch)[1:-1] for ch in unicodedata.normalize("NFC", text)
    )
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    return re.sub(r"[\W_]+", "_", text).strip("_")


def _cap(ident: str, full: str) -> str:
    if len(ident) <= MAX_ID:
        return ident
    digest = hashlib.sha256(full.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{ident[: MAX_ID - 9].rstrip('_')}_{digest}"


@dataclass(frozen=True)
class _Name:
    """What a download name says: whose it is, from which LMS, and its place in time."""

    key: tuple
    student: str
    lms: str = ""
    uid: str = ""
    sub: str = ""
    display: str = ""
    order: tuple = ()
    kind: str = "file"


def parse_name(name: str) -> _Name:
    """Read a file or folder name as an LMS wrote it."""
    stem = name
    for suffix in SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    m = _BRIGHTSPACE.match(stem)
    if m:
        try:
            when = datetime.strptime(m["date"].replace(".", ""), "%b %d, %Y %I%M %p")
        except ValueError:
            when = datetime.min
        ident = _slug(m["name"]) or "unnamed"
        return _Name(
            ("brightspace", ident),
            _cap(ident, stem),
            "brightspace",
            m["uid"],
            m["sub"],
            m["name"],
            (when, int(m["sub"])),
        )
    m = _CANVAS.match(stem)
    if m:
        ident = f"{_slug(m['name']) or 'unnamed'}_{m['uid']}"
        return _Name(
            ("canvas", m["uid"]),
            _cap(ident, stem),
            "canvas",
            m["uid"],
            m["sub"],
            m["name"],
            (int(m["sub"]),),
        )
    m = _MOODLE.match(stem)
    if m:
        ident = f"{_slug(m['name']) or 'unnamed'}_{m['uid']}"
        return _Name(
            ("moodle", m["uid"]),
            _cap(ident, stem),
            "moodle",
            m["uid"],
            "",
            m["name"],
            (),
            m["kind"].lower(),
        )
    copy = 0
    m = _COPY.match(stem)
    if m:
        stem, copy = m["base"], int(m["n"])
    ident = _slug(stem) or "unnamed"
    return _Name(("plain", stem), _cap(ident, stem), order=(copy,))


def student_id(filename: str) -> str:
    """The student a submitted file name belongs to (LMS download names understood)."""
    return parse_name(filename).student


# --- zips ---------------------------------------------------------------------
def unpack_zip(archive: Path, dest: Path) -> list[tuple[str, str]]:
    """Extract ``archive`` into ``dest`` safely; return (member, reason) for what was left out.

    No member is written outside ``dest`` (absolute paths and ``..`` are refused),
    symbolic links are never created, and sizes are capped per file and in total
    by what is actually read, not what the zip's header claims.
    """
    skipped: list[tuple[str, str]] = []
    total = 0
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        if len(members) > ZIP_MAX_MEMBERS:
            skipped.append((archive.name, f"only the first {ZIP_MAX_MEMBERS} entries were read"))
            members = members[:ZIP_MAX_MEMBERS]
        for info in members:
            shown = printable(info.filename)
            parts = PurePosixPath(info.filename.replace("\\", "/")).parts
            if (
                not parts
                or info.filename.startswith(("/", "\\"))
                or ".." in parts
                or ":" in parts[0]
            ):
                skipped.append((shown, "its path leads outside the download; not unpacked"))
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                skipped.append((shown, "a symbolic link; not unpacked"))
                continue
            target = dest.joinpath(*parts)
            try:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                    skipped.append((shown, "not a regular file; not unpacked"))
                    continue
                if info.file_size > ZIP_MAX_FILE or total + info.file_size > ZIP_MAX_TOTAL:
                    skipped.append((shown, "too large; not unpacked"))
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                with os.fdopen(fd, "wb") as out, zf.open(info) as src:
                    data = src.read(ZIP_MAX_FILE + 1)
                    if len(data) > ZIP_MAX_FILE:
                        raise ValueError("too large")
                    out.write(data)
                total += len(data)
            except (OSError, ValueError, zipfile.BadZipFile, RuntimeError) as exc:
                skipped.append((shown, f"could not be unpacked ({printable(str(exc), 60)})"))
                if target.is_file() and not target.is_symlink():
                    target.unlink()
    return skipped


# --- discovery ----------------------------------------------------------------
def _is_junk(name: str) -> bool:
    return name.lower() in JUNK or name.startswith("._") or name.startswith(".")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def _module_in(folder: Path, module: str, top: Path) -> tuple[Path | None, list[tuple[str, str]]]:
    """The module in a student's folder (itself or one level down, any case), and the others."""
    wanted = {f"{module}{s}".lower() for s in SUFFIXES}
    found: list[tuple[int, int, str, Path]] = []
    levels = [(0, folder)]
    try:
        levels += [
            (1, sub)
            for sub in sorted(folder.iterdir())
            if not _is_junk(sub.name) and stat.S_ISDIR(sub.lstat().st_mode)
        ]
    except OSError:
        return None, [(printable(str(folder.relative_to(top))), "the folder could not be read")]
    for depth, where in levels:
        try:
            entries = sorted(where.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.lower() in wanted:
                ext = 0 if entry.name.lower().endswith(".py") else 1
                found.append((depth, ext, entry.name, entry))
    if not found:
        return None, []
    found.sort()
    chosen = found[0][3]
    why = printable(str(chosen.relative_to(folder)))
    others = [
        (printable(str(p.relative_to(top))), f"{why} in the same folder was graded")
        for *_, p in found[1:]
    ]
    return chosen, others


def _root(folder: Path, module: str) -> Path:
    """Descend through single wrapping folders (a zip of a folder of submissions)."""
    while True:
        entries = [e for e in folder.iterdir() if not _is_junk(e.name)]
        if len(entries) != 1 or not stat.S_ISDIR(entries[0].lstat().st_mode):
            return folder
        inner = entries[0]
        names = [e.name.lower() for e in inner.iterdir() if not _is_junk(e.name)]
        if (
            parse_name(inner.name).lms
            or len(names) < 2
            or any(n in (f"{module}{s}".lower() for s in SUFFIXES) for n in names)
        ):
            return folder  # a class of one: this is the student's folder
        folder = inner


def find_submissions(source: Path, module: str) -> Intake:
    """Every submission in ``source`` (a folder or a zip), one per student.

    Raises
    ------
    NoSubmissions
        When nothing in ``source`` is a submission.
    """
    intake = Intake()
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise NoSubmissions(f"{printable(str(source))} is neither a folder nor a zip file")
        intake.workdir = Path(tempfile.mkdtemp(prefix="clusterlab-intake-"))
        try:
            intake.not_graded += unpack_zip(source, intake.workdir)
        except (OSError, zipfile.BadZipFile) as exc:
            intake.cleanup()
            why = f"{printable(source.name)} could not be read as a zip: {exc}"
            raise NoSubmissions(why) from None
        top = _root(intake.workdir, module)
    else:
        top = _root(source, module)
    candidates: list[tuple[_Name, Submission]] = []
    for entry in sorted(top.iterdir()):
        shown = printable(str(entry.relative_to(top)))
        if _is_junk(entry.name):
            intake.not_graded.append((shown, "added by the operating system or a tool; ignored"))
            continue
        try:
            mode = entry.lstat().st_mode
        except OSError:
            intake.not_graded.append((shown, "could not be read"))
            continue
        name = parse_name(entry.name)
        lms = dict(
            lms=name.lms,
            lms_user_id=name.uid,
            lms_submission_id=name.sub,
            display_name=name.display,
            found_as=shown,
        )
        if stat.S_ISDIR(mode):
            if name.kind != "file":
                intake.not_graded.append((shown, f"a Moodle {name.kind} submission, not a file"))
                continue
            chosen, others = _module_in(entry, module, top)
            intake.not_graded += others
            sub = Submission(name.student, chosen or entry / f"{module}.py", **lms)
            if chosen is not None:
                sub = _refuse_special(sub, chosen)
        elif entry.name.lower().endswith(SUFFIXES):
            sub = _refuse_special(Submission(name.student, entry, **lms), entry)
        elif entry.name.lower().endswith(".zip"):
            intake.not_graded.append((shown, "a zip inside the download; unpack it into a folder"))
            continue
        else:
            why = "not a .py file or notebook" if stat.S_ISREG(mode) else _kind(mode)
            intake.not_graded.append((shown, why))
            continue
        candidates.append((name, sub))
    _one_per_student(candidates, intake)
    if not intake.submissions:
        listing = "; ".join(f"{n} ({w})" for n, w in intake.not_graded[:5])
        intake.cleanup()
        raise NoSubmissions(
            f"no submissions found in {printable(str(source))}: expected {module}.py or "
            f"{module}.ipynb files, or a folder per student"
            + (f"; found {listing}" if listing else "; it is empty")
        )
    return intake


def _refuse_special(sub: Submission, path: Path) -> Submission:
    """Note a file that is not a regular file; the grader refuses it without opening it."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return sub
    if stat.S_ISREG(mode):
        return sub
    return Submission(**{**sub.__dict__, "note": _kind(mode)})


def _one_per_student(candidates: list[tuple[_Name, Submission]], intake: Intake) -> None:
    """Resubmissions resolve to the latest; different people with one id are kept apart."""
    by_id: dict[str, list[tuple[_Name, Submission]]] = {}
    for name, sub in candidates:
        by_id.setdefault(sub.student, []).append((name, sub))
    chosen: dict[str, Submission] = {}
    for ident, group in sorted(by_id.items()):
        people: dict[tuple, list[tuple[_Name, Submission]]] = {}
        for name, sub in group:
            people.setdefault(name.key, []).append((name, sub))
        latest: dict[tuple, Submission] = {}
        for key, versions in people.items():
            versions.sort(key=lambda ns: (ns[0].order, ns[1].found_as))
            latest[key] = versions[-1][1]
            for _, older in versions[:-1]:
                intake.replaced.append(
                    f"{ident}: {older.found_as} was replaced by the later {latest[key].found_as}"
                )
        keys = sorted(people, key=repr)
        for key in keys[1:]:
            digest = hashlib.sha256(repr(key).encode()).hexdigest()[:8]
            new_id = f"{ident[: MAX_ID - 9]}_{digest}"
            intake.collisions.append(
                f"{latest[key].found_as} and {latest[keys[0]].found_as} both read as "
                f"student {ident}; graded separately, as {new_id} and {ident}"
            )
            chosen[new_id] = Submission(**{**latest[key].__dict__, "student": new_id})
        chosen[ident] = latest[keys[0]]
    intake.submissions = [chosen[k] for k in sorted(chosen)]


def discover(folder: Path, module: str) -> list[Submission]:
    """Submissions in ``folder`` (a list; see :func:`find_submissions` for the full account)."""
    try:
        return find_submissions(folder, module).submissions
    except NoSubmissions:
        return []

"""The ``clusterlab`` command: a thin layer over :mod:`autograder`'s functions."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder import assignment as assignment_mod
from autograder.results import PASSED


class _App(typer.Typer):
    """The command, ending its process at once when a command asks for it (see
    :func:`_end_process_when_done`). Only the program itself comes through here:
    typer's CliRunner (tests) calls the click command, never this."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as exc:
            if _ending:
                _exit_now(exc.code)
            raise


_ending: list[bool] = []


def _end_process_when_done() -> None:
    """Skip the interpreter's teardown once this command is done (output written).

    Freeing the modules a grader imported (scikit-learn, SciPy, pandas) takes the
    interpreter 0.3-0.8 s after the last line is printed, and the student waits for it
    at the prompt. Exit handlers still run; only the module teardown is skipped.
    """
    _ending.append(True)


def _exit_now(code: object) -> NoReturn:
    import atexit
    import os

    atexit._run_exitfuncs()
    if isinstance(code, str):  # sys.exit("message"), as the interpreter would print it
        print(code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head): nothing left to write
            pass
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


app = _App(
    add_completion=False,
    no_args_is_help=True,
    help="ClusterLab: auto-graded clustering assignments.",
)
console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _load(name: str) -> assignment_mod.Assignment:
    try:
        return assignment_mod.load(name)
    except assignment_mod.UnknownAssignment as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except ValueError as exc:  # a bad assignment.toml
        _user_error(str(exc))


def _version(value: bool) -> None:
    if value:
        from autograder import __version__

        console.print(f"clusterlab {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """ClusterLab: auto-graded clustering assignments."""


@app.command("list")
def list_cmd() -> None:
    """List the assignments, their points, and where their files are."""
    from autograder.testfiles import load_questions

    table = Table(
        "assignment", "title", "questions", "points (public + hidden [+ by hand])", "student files"
    )
    for name in assignment_mod.names():
        a = assignment_mod.load(name)
        questions = load_questions(a.grader_files())
        public = sum(c.points for q in questions for c in q.cases if not c.hidden)
        total = sum(q.points for q in questions)
        manual = sum(q.points for q in a.manual)
        table.add_row(
            name,
            a.title,
            str(len(questions)),
            f"{public:g} + {total - public:g}" + (f" + {manual:g} by hand" if manual else ""),
            str(
                a.bundle_dir.relative_to(Path.cwd())
                if a.bundle_dir.is_relative_to(Path.cwd())
                else a.bundle_dir
            ),
        )
    # not a terminal (a pipe, a test): wide enough that no column is cut
    Console(highlight=False, width=None if console.is_terminal else 200).print(table)


def _find_student_file(a: assignment_mod.Assignment, file: Path | None) -> Path:
    """The student's module or notebook: ``file``, or ``<module>.py``/``.ipynb`` in a folder.

    Never the bundle's own stub: a folder without the module is a user error.
    """
    folder = Path.cwd() if file is None else file
    if file is not None and not file.is_dir():
        if not file.exists():
            _user_error(f"{file} does not exist")
        return file
    wanted = {f"{a.module}.py": 1, f"{a.module}.ipynb": 0}  # on a tie, the .py file
    found = [
        entry
        for entry in (folder.iterdir() if folder.is_dir() else [])
        if entry.name.lower() in wanted and entry.is_file()
    ]
    if found:  # the one saved last: the student works in that one
        return max(found, key=lambda e: (e.stat().st_mtime, wanted[e.name.lower()]))
    where = "this folder" if file is None else str(folder)
    _user_error(
        f"there is no {a.module}.py or {a.module}.ipynb in {where}: run this command in the "
        f"folder with your work, or name your file (clusterlab check {a.name} path/to/file)"
    )


def _user_error(message: str) -> NoReturn:
    """One sentence on stderr, exit status 2."""
    err.print(f"[red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)


@app.command()
def check(
    assignment: Annotated[str, typer.Argument(help="Assignment name, e.g. handwriting.")],
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Your module or notebook, or its folder (default: <module>.py or .ipynb here)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    classroom50: Annotated[
        Path | None,
        typer.Option(
            "--classroom50",
            help="Write Classroom 50's result.json here (our public checks; exit 0 once graded).",
        ),
    ] = None,
) -> None:
    """Run the public checks on your module and tell you what to fix."""
    a = _load(assignment)
    path = _find_student_file(a, file)
    from autograder.sandbox.zygote_client import Zygote, packages_imported_by

    # the sandbox's imports (only what this file imports) run on another core while this
    # process loads the graders
    zygote = Zygote(wait=False, warm=packages_imported_by(path))
    from autograder.grading import Grader

    # the public cases of the installed graders (else of the installed bundle): never test
    # files found next to the student's file, which would run in this process unsandboxed
    tests = None
    if not a.grader_files():
        tests = a.public_files() or None
    try:
        grader = Grader(a, public_only=True, test_files=tests, zygote=zygote)
    except BaseException:
        zygote.close()
        raise
    try:
        result = grader.grade(path, student=path.stem)
    finally:
        grader.close()
    if as_json:
        from autograder.render.gradescope import results_json

        console.print_json(json.dumps(results_json(result)))
    else:
        from autograder.render.terminal import print_result

        print_result(console, result, title=f"Checking {path} ({a.title})")
    _end_process_when_done()
    if classroom50 is not None:
        from autograder.classroom50 import write_result

        try:
            written = write_result(result, classroom50)
        except OSError as exc:
            err.print(f"[red]error:[/] could not write {escape(str(classroom50))}: {exc}")
            raise typer.Exit(1) from None
        console.print(f"wrote {written} for Classroom 50")
        raise typer.Exit(0)  # graded: pass or fail is in result.json
    ok = result.cases and all(c.status == PASSED for c in result.cases)
    raise typer.Exit(0 if ok else 1)


@app.command()
def grade(
    assignment: Annotated[str, typer.Argument(help="Assignment name, e.g. handwriting.")],
    submissions: Annotated[
        Path,
        typer.Argument(
            help="Folder or LMS zip (Canvas, Moodle, Brightspace) of .py files or notebooks,"
            " or of per-student folders."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    workers: Annotated[int, typer.Option(help="Sandbox workers in parallel.", min=1)] = 1,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds per call into student code, 1-3600 (default: the assignment's)."
        ),
    ] = None,
    memory: Annotated[
        int | None,
        typer.Option(help="Memory limit per submission, 256-65536 MB (default: the assignment's)."),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            help="Seconds all calls of one submission may take together, 1-86400, at least"
            " --timeout (default: the assignment's, else 10x --timeout).",
        ),
    ] = None,
    regrade: Annotated[bool, typer.Option(help="Grade everything again.")] = False,
    force: Annotated[
        bool,
        typer.Option(help="Grade even if the reference solution loses points under the settings."),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Grade on this Dask cluster (tcp://host:8786) instead of local workers."),
    ] = None,
    manual: Annotated[
        Path | None,
        typer.Option(
            "--manual",
            help="The points of manually graded questions, a CSV (default: OUT/manual.csv if"
            " there; `clusterlab manual-template` writes one).",
        ),
    ] = None,
) -> None:
    """Grade a whole class; write results/, gradebook.csv, feedback/, report.html, grades.sqlite."""
    from autograder.batch import grade_batch
    from autograder.intake import NoSubmissions
    from autograder.manual import ManualFileError
    from autograder.reference import ReferenceFailed
    from autograder.settings import SettingsError

    a = _load(assignment)
    if not submissions.exists():
        _user_error(f"{submissions} does not exist")
    if out.exists() and not out.is_dir():
        _user_error(f"--out {out} is a file; name a folder for the batch's outputs")

    live = {"bar": None, "done": 0, "todo": 0, "start": time.monotonic()}

    def started(todo: int) -> None:
        live.update(todo=todo, start=time.monotonic())
        if console.is_terminal and todo:  # a bar on a terminal; plain lines in a log
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            bar = Progress(
                TextColumn("grading"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            bar.add_task("grading", total=todo, rate="")
            bar.start()
            live["bar"] = bar

    def progress(r) -> None:
        live["done"] += 1
        pct = 100 * r.score / r.max_score if r.max_score else 0
        flag = f" [yellow]({escape(r.status)})[/]" if r.status != "graded" else ""
        line = (
            f"  [{live['done']}/{live['todo']}] {escape(r.student):<32} {r.score:6g}/"
            f"{r.max_score:g}  {pct:5.1f}%  {r.seconds:5.1f}s{flag}{by_hand}"
        )
        bar = live["bar"]
        if bar is None:
            console.print(line, soft_wrap=True)
            return
        rate = live["done"] / max(time.monotonic() - live["start"], 1e-9)
        bar.console.print(line, soft_wrap=True)
        bar.update(bar.task_ids[0], advance=1, rate=f"{rate * 60:.1f}/min")

    hand = sum(q.points for q in a.manual)  # merged after grading, from manual.csv
    by_hand = f"  (+{hand:g} points for the teacher to grade)" if hand else ""
    where = f"the Dask cluster at {scheduler}" if scheduler else f"{workers} worker(s)"
    console.print(f"Grading {a.title} from {submissions} on {where}")
    try:
        summary = grade_batch(
            a.name,
            submissions,
            out,
            workers=workers,
            timeout=timeout,
            memory_mb=memory,
            budget=budget,
            regrade=regrade,
            scheduler=scheduler,
            progress=progress,
            force=force,
            started=started,
            manual=manual,
        )
    except (NoSubmissions, ReferenceFailed, ManualFileError) as exc:
        _user_error(str(exc))
    except SettingsError as exc:
        _user_error("; ".join(exc.problems))
    except (OSError, RuntimeError) as exc:
        err.print(f"[red]error:[/] grading could not run: {escape(str(exc))}")
        raise typer.Exit(1) from None
    finally:
        if live["bar"] is not None:
            live["bar"].stop()
    if summary.interrupted:
        saved = len(summary.graded) + len(summary.skipped)
        console.print(
            f"interrupted: {saved} of {summary.total} graded and saved; "
            "run the same command to continue",
            soft_wrap=True,
        )
        raise typer.Exit(130)
    console.print(f"graded {len(summary.graded)}, already up to date {len(summary.skipped)}")
    if summary.manual:
        console.print(escape(summary.manual), soft_wrap=True)
    for line in summary.intake:
        console.print(f"[yellow]{escape(line)}[/]", soft_wrap=True)
    for p in summary.problems:
        console.print(f"[yellow]warning:[/] {escape(p)}", soft_wrap=True)
    for w in summary.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}", soft_wrap=True)
    console.print(
        f"gradebook: {out / 'gradebook.csv'}\nreport:    {out / 'report.html'}"
        f" (and report.md)\nresults:   {out / 'results'}/\nfeedback:  {out / 'feedback'}/"
    )


@app.command("manual-template")
def manual_template(
    assignment: Annotated[str, typer.Argument(help="Assignment name, e.g. oosterhout.")],
    grades_dir: Annotated[
        Path | None,
        typer.Argument(help="A batch's --out folder: a row for each of its graded students."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="The CSV to write (default: GRADES_DIR/manual.csv)."),
    ] = None,
) -> None:
    """Write the CSV in which you enter the points of manually graded questions."""
    from autograder import manual

    try:
        target, students = manual.write_template(_load(assignment), grades_dir, out)
    except manual.ManualFileError as exc:
        _user_error(str(exc))
    questions = ", ".join(f"{q.name} (0-{q.points:g} points)" for q in _load(assignment).manual)
    console.print(
        f"wrote {target}: {students} student(s) x {questions}. Enter the points (an empty"
        " cell is to be graded by the teacher) and run `clusterlab grade` again: nothing is"
        " regraded, every output is rewritten",
        soft_wrap=True,
    )


@app.command()
def export(
    assignment: Annotated[str, typer.Argument(help="Assignment name, e.g. handwriting.")],
    out: Annotated[Path, typer.Option("--out", help="Zip file to write.")] = Path("autograder.zip"),
    gradescope: Annotated[
        bool,
        typer.Option(
            "--gradescope", help="A Gradescope autograder that grades in ClusterLab's sandbox."
        ),
    ] = False,
) -> None:
    """Write an otter-grader autograder zip (for Gradescope or `otter run`) of the full graders."""
    if gradescope:
        from autograder.gradescope import export_zip

        try:
            path = export_zip(_load(assignment), out)
        except RuntimeError as exc:
            err.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(1) from None
        console.print(
            f"wrote {path}: on Gradescope, Configure Autograder > Zip file upload, choose it, "
            "then Update Autograder"
        )
        return
    from autograder.export import otter_zip

    a = _load(assignment)
    if out.is_dir():
        _user_error(
            f"--out {out} is a folder; name the zip file to write, e.g. {out / 'autograder.zip'}"
        )
    path = otter_zip(a, out)
    console.print(f"wrote {path}: upload it to Gradescope, or run `otter run -a {path} FILE`")


@app.command("export-grades")
def export_grades_cmd(
    grades_dir: Annotated[Path, typer.Argument(help="A batch's --out folder.")],
    lms: Annotated[str, typer.Option("--lms", help="canvas, moodle or brightspace.")],
    roster: Annotated[
        Path, typer.Option("--roster", help="The gradebook the LMS exported (its CSV).")
    ],
    out: Annotated[Path, typer.Option("--out", help="The import file to write.")],
    assignment: Annotated[
        str | None, typer.Option(help="Which assignment, when the folder holds several.")
    ] = None,
    column: Annotated[
        str | None,
        typer.Option(help="The LMS's name of the assignment (default: its title, then its name)."),
    ] = None,
    percent: Annotated[bool, typer.Option("--percent", help="Write percentages.")] = False,
    include_late: Annotated[
        bool, typer.Option("--include-late", help="Write late submissions' scores too.")
    ] = False,
    missing_as_zero: Annotated[
        bool,
        typer.Option("--missing-as-zero", help="Write 0 for missing and ungradable submissions."),
    ] = False,
    include_unfinished: Annotated[
        bool,
        typer.Option(
            "--include-unfinished",
            help="Write the scores of students whose manually graded questions are still to be"
            " graded (without those points).",
        ),
    ] = False,
) -> None:
    """Fill the assignment's column of an LMS gradebook export, ready to import."""
    from autograder.lms import RosterError, export_grades

    try:
        report = export_grades(
            grades_dir,
            lms=lms.lower(),
            roster=roster,
            out=out,
            assignment=assignment,
            column=column,
            percent=percent,
            include_late=include_late,
            missing_as_zero=missing_as_zero,
            include_unfinished=include_unfinished,
        )
    except RosterError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    what = "new column" if report.created else "column"
    say = Console(highlight=False, soft_wrap=True)  # names and paths stay on one line
    say.print(
        f"wrote {out}: {len(report.written)} score(s) in the {what} {escape(report.column)!r}"
    )
    for note in report.notes:
        say.print(f"note: {escape(note)}")
    sections = [
        ("left as they were", report.left_empty),
        ("set to 0 (--missing-as-zero)", report.zeroed),
        ("graded but not on the roster (not written)", report.unmatched_students),
        ("on the roster without a graded submission", report.unmatched_rows),
    ]
    for title, items in sections:
        if items:
            say.print(f"[yellow]{len(items)} {title}:[/]")
            for item in items:
                say.print(f"  {escape(item)}")


@app.command()
def sync(
    check_only: Annotated[
        bool,
        typer.Option("--check", help="Only report what is out of date; exit 1 if anything is."),
    ] = False,
) -> None:
    """Regenerate the public tests and conftest.py of every assignment bundle."""
    from autograder.publish import PublishError
    from autograder.publish import sync as sync_one

    changed = []
    for name in assignment_mod.names():
        try:
            changed += sync_one(assignment_mod.load(name), check=check_only)
        except PublishError as exc:
            err.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(1) from None
    for path in changed:
        console.print(f"{'out of date' if check_only else 'wrote'}: {path}")
    if check_only and changed:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()

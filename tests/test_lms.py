"""LMS import files: a real batch of the toy assignment, written into rosters that are
byte for byte what Canvas, Moodle and Brightspace export (BOMs, quoting, trailing columns)."""

import csv
import io
import shutil
import subprocess
import sys

import pytest

from autograder import assignment
from autograder.batch import grade_batch
from autograder.lms import RosterError, RosterRow, export_grades, match
from autograder.lms.grades import Graded, lms_ids

from .conftest import ENGINE

SUBS = ENGINE / "submissions"
TOY = "toy"  # the assignment's name: its title lives outside the package's graders


def _batch(tmp_path, files: dict[str, str | None]):
    """Grade ``{download name: fixture}`` (None: a symlink, which cannot be graded)."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, fixture in files.items():
        target = subs / name
        if fixture is None:
            target.symlink_to(SUBS / "good.py")
        elif name.endswith(".py"):
            shutil.copy(SUBS / f"{fixture}.py", target)
        else:  # a cloned repository
            target.mkdir()
            shutil.copy(SUBS / f"{fixture}.py", target / "toy.py")
    out = tmp_path / "grades"
    grade_batch(assignment.load("toy", root=ENGINE), subs, out)
    return out


@pytest.fixture(scope="module")
def canvas_grades(tmp_path_factory):
    return _batch(
        tmp_path_factory.mktemp("canvas"),
        {
            "bakker_48213_99102_toy.py": "good",  # matched on the Canvas ID
            "devries_LATE_48214_99103_toy-1.py": "good",  # late: left empty
            "jansen_48215_99104_toy.py": "syntax_error",  # graded: 0 points
            "mulder_99999_99105_toy.py": "good",  # id not on the roster
            "tsmit": "good",  # a cloned repository: matched on SIS Login ID
            "visser_48217_99106_toy.py": None,  # could not be graded: left empty
        },
    )


CANVAS_HEADER = (
    "Student,ID,SIS User ID,SIS Login ID,Section,{col}"
    "Current Score,Unposted Current Score,Final Score,Unposted Final Score\n"
)
CANVAS_ROWS = (
    '"Bakker, Tim",48213,s1001,tbakker,Data Science A,{c}0.00,0.00,0.00,0.00\n'
    '"de Vries, Sanne",48214,s1002,sdevries,Data Science A,{c}0.00,0.00,0.00,0.00\n'
    '"Jansen, Pieter",48215,s1003,pjansen,Data Science B,{c}0.00,0.00,0.00,0.00\n'
    '"Smit, Tom",48216,s1004,tsmit,Data Science B,{c}0.00,0.00,0.00,0.00\n'
    '"Visser, Lotte",48217,s1005,lvisser,Data Science B,{c}0.00,0.00,0.00,0.00\n'
    '"Bos, Eva",48218,s1006,ebos,"Data Science A and Data Science B",{c},,,\n'
)


def _canvas_roster(with_column: bool, bom: bool) -> bytes:
    """Canvas's "Export Entire Gradebook" as lib/gradebook_exporter.rb writes it."""
    col = "Toy (4821)," if with_column else ""
    text = CANVAS_HEADER.format(col=col)
    if with_column:  # the Manual Posting row, then Points Possible
        text += ",,,,,Manual Posting,,,,\n"
    text += "    Points Possible,,,,,{}(read only),(read only),(read only),(read only)\n".format(
        "5.00," if with_column else ""
    )
    text += CANVAS_ROWS.format(c="," if with_column else "")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def _rows(path):
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_canvas_existing_column_is_filled_and_nothing_else_changes(canvas_grades, tmp_path):
    roster = tmp_path / "export.csv"
    roster.write_bytes(_canvas_roster(with_column=True, bom=True))
    out = tmp_path / "import.csv"
    report = export_grades(canvas_grades, lms="canvas", roster=roster, out=out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    before, after = _rows(roster), _rows(out)
    col = before[0].index("Toy (4821)")
    assert len(before) == len(after) and before[0] == after[0]
    for b, a in zip(before, after, strict=True):  # only the assignment's cells change
        assert b[:col] + b[col + 1 :] == a[:col] + a[col + 1 :]
    grades = {r[1]: r[col] for r in after[3:]}
    assert grades == {
        "48213": "5",  # bakker, on the ID from the download name
        "48214": "",  # de Vries: late, left empty
        "48215": "0",  # jansen: did not import, graded 0
        "48216": "5",  # smit: a repository named by the SIS Login ID
        "48217": "",  # visser: could not be graded, left empty (not 0)
        "48218": "",  # bos: no submission
    }
    assert after[1][col] == "Manual Posting" and after[2][col] == "5.00"
    assert not report.created
    assert sorted(report.written) == ["bakker_48213", "jansen_48215", "tsmit"]
    assert report.unmatched_students == [
        "mulder_99999: no roster row has id 99999, and no login or email is 'mulder_99999'"
    ]
    assert report.unmatched_rows == ["Bos, Eva (ID 48218)"]
    assert sorted(report.left_empty) == [
        "devries_48214: late",
        "visser_48217: not graded (unreadable)",
    ]


def test_canvas_new_column_with_percent_late_and_zeros(canvas_grades, tmp_path):
    roster = tmp_path / "export.csv"
    roster.write_bytes(_canvas_roster(with_column=False, bom=False))
    out = tmp_path / "import.csv"
    report = export_grades(
        canvas_grades,
        lms="canvas",
        roster=roster,
        out=out,
        column="Toy",
        percent=True,
        include_late=True,
        missing_as_zero=True,
    )
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _rows(out)
    assert rows[0][5:7] == ["Toy", "Current Score"]  # before the read-only totals
    assert rows[1][:1] == ["    Points Possible"] and rows[1][5] == "100"
    assert {r[1]: r[5] for r in rows[2:]} == {
        "48213": "100",
        "48214": "100",  # late, written on request
        "48215": "0",
        "48216": "100",
        "48217": "0",  # ungradable: 0 on request
        "48218": "0",  # missing: 0 on request
    }
    assert report.created and "worth 100 points" in report.notes[0]


def test_canvas_semicolons_and_quoted_fields_are_kept(canvas_grades, tmp_path):
    text = _canvas_roster(with_column=True, bom=False).decode()
    rows = list(csv.reader(io.StringIO(text)))
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    roster = tmp_path / "export.csv"
    roster.write_text(buf.getvalue(), newline="")
    out = tmp_path / "import.csv"
    export_grades(canvas_grades, lms="canvas", roster=roster, out=out)
    raw = out.read_bytes().decode()
    assert raw.splitlines(keepends=True)[3].startswith('"Bakker, Tim";"48213";')
    assert raw.endswith("\r\n") and '"5"' in raw


def test_not_a_canvas_export_is_refused(canvas_grades, tmp_path):
    roster = tmp_path / "export.csv"
    roster.write_text("student,total\nbakker,5\n")
    with pytest.raises(RosterError, match="not a Canvas gradebook export"):
        export_grades(canvas_grades, lms="canvas", roster=roster, out=tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


@pytest.fixture(scope="module")
def moodle_grades(tmp_path_factory):
    return _batch(
        tmp_path_factory.mktemp("moodle"),
        {
            "Sanne de Vries_123456_assignsubmission_file_toy.py": "good",
            "Pieter Jansen_123457_assignsubmission_file_toy.py": "syntax_error",
            "tom.smit": "good",  # a repository named after the email's login part
            "lvisser": "good",  # no such user
        },
    )


MOODLE_GRADEBOOK = (
    "First name,Last name,ID number,Institution,Department,Email address,"
    "Assignment: Toy (Real),Last downloaded from this course\n"
    "Sanne,de Vries,s1002,,,sanne.devries@example.edu,-,1764844800\n"
    "Pieter,Jansen,s1003,,,pieter.jansen@example.edu,-,1764844800\n"
    "Tom,Smit,s1004,,,tom.smit@example.edu,-,1764844800\n"
    'Eva,Bos,s1006,"Hogeschool, Breda",,eva.bos@example.edu,-,1764844800\n'
)


def test_moodle_gradebook_matched_on_email(moodle_grades, tmp_path):
    roster = tmp_path / "Course Grades.csv"
    roster.write_text(MOODLE_GRADEBOOK)
    out = tmp_path / "import.csv"
    report = export_grades(moodle_grades, lms="moodle", roster=roster, out=out, column="Toy")
    rows = _rows(out)
    assert rows[0] == next(csv.reader(io.StringIO(MOODLE_GRADEBOOK)))
    # a gradebook export has no participant ids: only the repository named by email matches
    assert [r[6] for r in rows[1:]] == ["-", "-", "5", "-"]
    assert rows[4][3] == "Hogeschool, Breda" and rows[4][7] == "1764844800"
    assert sorted(s.split(":")[0] for s in report.unmatched_students) == [
        "lvisser",
        "pieter_jansen_123457",
        "sanne_de_vries_123456",
    ]
    assert report.unmatched_rows == [
        "Sanne de Vries (sanne.devries@example.edu)",
        "Pieter Jansen (pieter.jansen@example.edu)",
        "Eva Bos (eva.bos@example.edu)",
    ]
    assert any("grading worksheet" in n for n in report.notes)


MOODLE_WORKSHEET = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
    '"Last modified (submission)","Last modified (grade)",Feedback comments\n'
    "Participant 123456,Sanne de Vries,sanne.devries@example.edu,Submitted for grading,,5.00,"
    'Yes,"Thursday, 4 December 2026, 10:22 AM",-,\n'
    "Participant 123457,Pieter Jansen,pieter.jansen@example.edu,Submitted for grading,,5.00,"
    'Yes,"Thursday, 4 December 2026, 11:02 AM",-,\n'
    "Participant 123458,Tom Smit,tom.smit@example.edu,No submission,,5.00,Yes,-,-,\n"
)


def test_moodle_grading_worksheet_matched_on_participant_id(moodle_grades, tmp_path):
    roster = tmp_path / "Grades-Toy.csv"
    roster.write_text(MOODLE_WORKSHEET)
    out = tmp_path / "upload.csv"
    report = export_grades(moodle_grades, lms="moodle", roster=roster, out=out)
    rows = _rows(out)
    assert [r[4] for r in rows[1:]] == ["5", "0", "5"]
    assert rows[1][7] == "Thursday, 4 December 2026, 10:22 AM"
    assert report.column == "Grade" and report.unmatched_rows == []


@pytest.fixture(scope="module")
def brightspace_grades(tmp_path_factory):
    return _batch(
        tmp_path_factory.mktemp("brightspace"),
        {"sdevries": "good", "pjansen": "syntax_error", "ghost": "good"},
    )


BRIGHTSPACE_EXPORT = (
    "\ufeffOrgDefinedId,Username,Last Name,First Name,Email,"
    "Toy Points Grade <Numeric MaxPoints:5 Weight:10 Category:Labs CategoryWeight:40>,"
    "End-of-Line Indicator\r\n"
    "#20067930,#sdevries,de Vries,Sanne,sanne.devries@example.edu,,#\r\n"
    "#20067931,#pjansen,Jansen,Pieter,pieter.jansen@example.edu,,#\r\n"
    "#20067932,#ebos,Bos,Eva,eva.bos@example.edu,,#\r\n"
)


def test_brightspace_points_grade_with_end_of_line(brightspace_grades, tmp_path):
    roster = tmp_path / "export.csv"
    roster.write_bytes(BRIGHTSPACE_EXPORT.encode())
    out = tmp_path / "import.csv"
    report = export_grades(brightspace_grades, lms="brightspace", roster=roster, out=out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfOrgDefinedId,") and raw.count(b"\r\n") == 4
    rows = _rows(out)
    assert [r[5] for r in rows[1:]] == ["5", "0", ""]
    assert all(r[-1] == "#" for r in rows[1:]) and rows[1][0] == "#20067930"
    assert report.unmatched_rows == ["Eva Bos (OrgDefinedId 20067932)"]
    assert report.unmatched_students[0].startswith("ghost:")


def test_brightspace_minimal_import_file_gets_a_new_item(brightspace_grades, tmp_path):
    roster = tmp_path / "Grades_Sample_Import_File.csv"
    roster.write_text("OrgDefinedId,Username\n20067930,sdevries\n20067931,pjansen\n")
    out = tmp_path / "import.csv"
    report = export_grades(brightspace_grades, lms="brightspace", roster=roster, out=out)
    rows = _rows(out)
    assert rows[0] == [
        "OrgDefinedId",
        "Username",
        f"{TOY} Points Grade <Numeric MaxPoints:5>",
        "End-of-Line Indicator",
    ]
    assert rows[1:] == [["20067930", "sdevries", "5", "#"], ["20067931", "pjansen", "0", "#"]]
    assert report.created


def test_an_id_on_two_rows_or_a_login_on_two_rows_is_never_guessed():
    rows = [
        RosterRow(1, "A", {"7"}, {"anna"}),
        RosterRow(2, "B", {"7"}, {"bram"}),
        RosterRow(3, "C", {"8"}, {"cas", "c"}),
        RosterRow(4, "D", {"9"}, {"cas"}),
    ]
    graded = [
        Graded("x_7", 5, 5, "graded", ids={"canvas": "7"}),
        Graded("cas", 5, 5, "graded"),
        Graded("d", 5, 5, "graded", ids={"canvas": "9"}),
        Graded("dd", 5, 5, "graded", ids={"canvas": "9"}),
    ]
    pairs, unmatched = match(graded, rows, "canvas")
    assert {i: g.student for i, g in pairs.items()} == {4: "d"}
    assert unmatched == [
        "x_7: id 7 is on 2 roster rows",
        "dd: id 9 is already matched to d",
        "cas: no LMS id in the file name, and the login fits C, D",
    ]


@pytest.mark.parametrize(
    ("source", "ids", "late"),
    [
        ("subs/bakker_48213_99102_handwriting.py", {"canvas": "48213"}, False),
        ("subs/bakker_LATE_48213_99102_handwriting-1.py", {"canvas": "48213"}, True),
        ("s/Sanne de Vries_123456_assignsubmission_file_h.py", {"moodle": "123456"}, False),
        ("subs/devries_sanne/handwriting.py", {}, False),
    ],
)
def test_lms_ids_from_download_names(source, ids, late):
    assert lms_ids("x", source) == (ids, late)


def test_export_grades_command(canvas_grades, tmp_path):
    roster = tmp_path / "export.csv"
    roster.write_bytes(_canvas_roster(with_column=True, bom=True))
    out = tmp_path / "import.csv"
    cmd = [sys.executable, "-m", "autograder.cli", "export-grades", str(canvas_grades)]
    proc = subprocess.run(
        [*cmd, "--lms", "canvas", "--roster", str(roster), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}: 3 score(s) in the column 'Toy (4821)'" in proc.stdout
    assert "1 graded but not on the roster (not written):\n  mulder_99999" in proc.stdout
    assert "1 on the roster without a graded submission:\n  Bos, Eva (ID 48218)" in proc.stdout
    bad = subprocess.run(
        [*cmd, "--lms", "blackboard", "--roster", str(roster), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "unknown LMS 'blackboard'" in bad.stderr


def test_two_columns_that_fit_are_an_error_that_names_them(canvas_grades, tmp_path):
    roster = tmp_path / "export.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,Toy (4821),Toy (4822)\n"
        '"Bakker, Tim",48213,s1001,tbakker,Data Science A,,\n'
    )
    with pytest.raises(RosterError, match=r"several Canvas columns fit 'toy' \(Toy \(4821\)"):
        export_grades(canvas_grades, lms="canvas", roster=roster, out=tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_a_moodle_file_without_email_or_id_number_is_refused(moodle_grades, tmp_path):
    roster = tmp_path / "grades.csv"
    roster.write_text("First name,Last name,Assignment: Toy (Real)\nSanne,de Vries,-\n")
    with pytest.raises(RosterError, match="'Email address' or 'ID number'"):
        export_grades(moodle_grades, lms="moodle", roster=roster, out=tmp_path / "x.csv")


def test_ids_the_intake_recorded_win_but_brightspace_needs_an_org_defined_id():
    from autograder.lms.grades import from_result
    from autograder.results import SubmissionResult

    r = SubmissionResult("noor_hendriks", "toy", source="subs/noor_hendriks/toy.py")
    r.lms, r.lms_user_id = "canvas", "777"
    assert from_result(r).ids == {"canvas": "777"}
    r.lms, r.lms_user_id = "brightspace", "67890"  # D2L's internal user id: not in exports
    assert from_result(r).ids == {}
    r.org_defined_id = "20067930"
    assert from_result(r).ids == {"brightspace": "20067930"}

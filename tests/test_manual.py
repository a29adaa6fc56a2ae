"""Manually graded points (oosterhout's written reflection): a teacher's CSV merged into
every output of a batch, run for real with the clusterlab command on the demo class."""

import csv
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "oosterhout"
# three students of the demo class who are graded in seconds (the others take ~25 s)
STUDENTS = {"visser_lotte.py": "visser_lotte", "mulder_daan.py": "mulder_daan",
            "smit_51234_88120_oosterhout.py": "smit_51234"}  # fmt: skip
TBG = "to be graded by the teacher"


def clusterlab(*args, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", "autograder.cli", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def flat(text: str) -> str:
    """The terminal may wrap long lines."""
    return " ".join(text.split())


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("manual")
    subs = tmp / "subs"
    subs.mkdir()
    for name in STUDENTS:
        shutil.copy(DEMO / name, subs / name)
    out = tmp / "grades"
    first = clusterlab("grade", "oosterhout", subs, "--out", out)
    assert first.returncode == 0, first.stdout + first.stderr
    return {"tmp": tmp, "subs": subs, "out": out, "first": first}


def test_before_any_points_every_output_says_to_be_graded_not_zero(batch):
    out, first = batch["out"], batch["first"]
    assert "manual points: 0 of 3 entered" in flat(first.stdout)
    assert "100.0%" in first.stdout and "(+5 points for the teacher to grade)" in first.stdout
    rows = gradebook(out)
    assert set(rows) == set(STUDENTS.values())
    for row in rows.values():
        assert row["max_score"] == "54", "49 automatic points + the 5 of the reflection"
        assert row["r1_reflection"] == "" and row["status"].endswith(f"r1_reflection {TBG}")
    md = (out / "feedback" / "visser_lotte.md").read_text()
    assert "**Score: 49 / 54 (91%)**" in md
    assert f"5 of these points are {TBG}" in md
    assert f"– written advice to the policy team (R1): {TBG}  [–/5]" in md
    assert TBG in (out / "feedback" / "visser_lotte.html").read_text()
    result = json.loads((out / "results" / "visser_lotte.json").read_text())
    assert (result["score"], result["max_score"]) == (49, 54)
    assert result["tests"][-1]["output"] == TBG
    assert result["extra_data"]["to_be_graded"] == ["r1_reflection"]


def test_the_template_lists_every_graded_student_once(batch):
    out = batch["out"]
    made = clusterlab("manual-template", "oosterhout", out)
    assert made.returncode == 0, made.stderr
    rows = list(csv.DictReader((out / "manual.csv").open()))
    assert sorted(r["student"] for r in rows) == sorted(STUDENTS.values())
    assert {(r["question"], r["points"], r["comment"]) for r in rows} == {("r1_reflection", "", "")}
    again = clusterlab("manual-template", "oosterhout", out)
    assert again.returncode == 2 and "exists" in again.stderr, "never overwrites a teacher's file"
    none = clusterlab("manual-template", "handwriting", "--out", batch["tmp"] / "m.csv")
    assert none.returncode == 2 and "no manually graded questions" in none.stderr
    listed = [line for line in clusterlab("list").stdout.splitlines() if "oosterhout" in line]
    assert "+ 5 by hand" in listed[0]


def test_entered_points_reach_every_output_without_a_regrade(batch):
    out, tmp = batch["out"], batch["tmp"]
    (out / "manual.csv").write_text(
        "student,question,points,comment\n"
        'visser_lotte,r1_reflection,5,"Clear advice, two good caveats."\n'  # line 2
        'smit_51234,r1_reflection,"3,5",Name the zorgsoort of cluster 2.\n'  # 3: decimal comma
        "mulder_daan,r1_reflection,9,\n"  # 4: out of range
        "mulder_daan,r1_reflection,good,\n"  # 5: not a number
        "mulder_daan,r1_reflection,,\n"  # 6: not graded yet
        "smit_51234,r1_reflection,2,\n"  # 7: a second row
        "nobody,r1_reflection,3,\n"  # 8: unknown student
        "visser_lotte,q1_load_data,3,\n"  # 9: graded automatically
    )
    before = (out / "results" / "visser_lotte.json").read_text()
    run = clusterlab("grade", "oosterhout", batch["subs"], "--out", out)
    assert run.returncode == 0, run.stdout + run.stderr
    said = flat(run.stdout)
    assert "graded 0, already up to date 3" in said, "the CSV is merged after grading"
    assert f"manual points: 2 of 3 entered ({out / 'manual.csv'}); 1 {TBG}" in said
    bad = {
        4: "points 9 is outside 0-5 for r1_reflection",
        5: "points 'good' is not a number",
        7: "a second row for smit_51234, r1_reflection (the first is line 3)",
        8: "no submission of 'nobody' was graded",
        9: "'q1_load_data' is not a manually graded question (choose r1_reflection)",
    }
    for line, why in bad.items():
        assert f"warning: {out / 'manual.csv'} line {line}: {why}" in said, why
    assert said.count("this row is not used") == len(bad)

    rows = gradebook(out)
    assert (rows["visser_lotte"]["r1_reflection"], rows["visser_lotte"]["total"]) == ("5", "54")
    assert rows["visser_lotte"]["status"] == "graded"
    assert (rows["smit_51234"]["r1_reflection"], rows["smit_51234"]["total"]) == ("3.5", "40.5")
    assert rows["mulder_daan"]["r1_reflection"] == "" and TBG in rows["mulder_daan"]["status"]

    db = sqlite3.connect(out / "grades.sqlite")
    totals = {r[0]: r[1:] for r in db.execute(
        "SELECT student, manual, total, max_score, to_be_graded FROM totals")}  # fmt: skip
    assert totals == {"visser_lotte": (5, 54, 54, 0), "smit_51234": (3.5, 40.5, 54, 0),
                      "mulder_daan": (0, 22, 54, 1)}  # fmt: skip
    (where,) = db.execute(
        "SELECT entered_in FROM manual_grades WHERE student = 'smit_51234'"
    ).fetchone()
    assert where == f"{out / 'manual.csv'} line 3"
    db.close()

    report = (out / "report.md").read_text()
    assert "| r1_reflection: written advice to the policy team (R1) | 5 | 2 of 3 | 4.25 |" in report
    assert "mulder_daan |" in report and "line 8: no submission of 'nobody'" in report
    html = (out / "report.html").read_text()
    assert "Graded by the teacher" in html and "points 9 is outside 0-5" in html
    md = (out / "feedback" / "smit_51234.md").read_text()
    assert "## r1_reflection (3.5/5)" in md and "Name the zorgsoort of cluster 2." in md
    assert TBG not in md
    page = (out / "feedback" / "smit_51234.html").read_text()
    assert "Name the zorgsoort of cluster 2." in page and "3.5/5" in page
    result = json.loads((out / "results" / "smit_51234.json").read_text())
    assert (result["score"], result["max_score"]) == (40.5, 54)
    assert result["tests"][-1]["output"] == "Name the zorgsoort of cluster 2."
    after = json.loads((out / "results" / "visser_lotte.json").read_text())
    assert json.loads(before)["extra_data"]["sha256"] == after["extra_data"]["sha256"]

    # the LMS files: a student still to be graded is left as the roster had it
    canvas = tmp / "canvas.csv"
    canvas.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        "    Points Possible,,,,\n"
        '"Visser, Lotte",1001,s1,visser_lotte,A\n'
        '"Mulder, Daan",1002,s2,mulder_daan,A\n'
        '"Smit, Tom",51234,s3,tsmit,A\n'
    )
    brightspace = tmp / "d2l.csv"
    brightspace.write_text(
        "OrgDefinedId,Username,Last Name,First Name,Email,End-of-Line Indicator\n"
        "#1,#visser_lotte,Visser,Lotte,visser_lotte@example.edu,#\n"
        "#2,#mulder_daan,Mulder,Daan,mulder_daan@example.edu,#\n"
        "#3,#smit_51234,Smit,Tom,smit_51234@example.edu,#\n"
    )
    moodle = tmp / "moodle.csv"
    moodle.write_text(
        "First name,Last name,ID number,Email address,Assignment: Oosterhout (Real)\n"
        "Lotte,Visser,s1,visser_lotte@example.edu,-\n"
        "Daan,Mulder,s2,mulder_daan@example.edu,-\n"
        "Tom,Smit,s3,smit_51234@example.edu,-\n"
    )
    for lms, roster in (("canvas", canvas), ("brightspace", brightspace), ("moodle", moodle)):
        target = tmp / f"{lms}-import.csv"
        args = ["export-grades", out, "--lms", lms, "--roster", roster, "--out", target]
        args += ["--column", "Oosterhout"] if lms == "moodle" else []
        proc = clusterlab(*args)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"mulder_daan: r1_reflection {TBG}" in flat(proc.stdout), lms
        table = list(csv.reader(target.open(encoding="utf-8-sig")))
        by_name = {" ".join(r).lower(): r for r in table[1:]}
        cells = {who: next(r for k, r in by_name.items() if who in k) for who in
                 ("visser", "mulder", "smit")}  # fmt: skip
        col = next(i for i, h in enumerate(table[0]) if "oosterhout" in h.lower())
        assert cells["visser"][col] == "54" and cells["smit"][col] == "40.5", lms
        assert cells["mulder"][col] in ("", "-"), f"{lms}: left as the roster had it"
        if lms == "canvas":
            assert "54" in table[1][col], "the new column is worth 54 points"
    unfinished = tmp / "canvas-all.csv"
    proc = clusterlab("export-grades", out, "--lms", "canvas", "--roster", canvas,
                      "--out", unfinished, "--include-unfinished")  # fmt: skip
    assert proc.returncode == 0 and "3 score(s)" in proc.stdout, proc.stdout + proc.stderr


def test_a_manual_file_that_cannot_be_read_stops_before_grading(batch):
    broken = batch["tmp"] / "broken.csv"
    broken.write_text("name;punten\nvisser_lotte;5\n")
    out = batch["tmp"] / "elsewhere"
    proc = clusterlab("grade", "oosterhout", batch["subs"], "--out", out, "--manual", broken)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "has no student, question, points column" in flat(proc.stderr)
    assert not out.exists(), "nothing was graded"
    missing = clusterlab("grade", "oosterhout", batch["subs"], "--out", out, "--manual", "x.csv")
    assert missing.returncode == 2 and "--manual x.csv: there is no such file" in missing.stderr

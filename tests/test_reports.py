"""The batch's HTML and Markdown reports, checked as files, as HTML5 and in a real browser.

One small kmeans_scratch class is graded once for the module: the reference
solution, two independent honest solutions, a disguised copy of one of them, and
the unchanged stub.
"""

import copy
import csv
import os
import shutil
from pathlib import Path

import html5lib
import pytest

from autograder.batch import grade_batch
from autograder.gradebook import Gradebook
from autograder.render import Batch, NotGraded, html, intake_lines, markdown, writers

from .browser import FLAGS, chromium_path, open_page

REPO = Path(__file__).resolve().parent.parent
SIMILAR = Path(__file__).parent / "fixtures" / "similarity"
SCREENSHOT = os.environ.get("CLUSTERLAB_SCREENSHOT")
"""Set to a path to keep the report's screenshot (the README's is made this way)."""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    subs, out = root / "submissions", root / "out"
    subs.mkdir()
    shutil.copy(REPO / "solutions" / "kmeans_scratch.py", subs / "reference.py")
    shutil.copy(REPO / "assignments" / "kmeans_scratch" / "kmeans_scratch.py", subs / "stub.py")
    for p in SIMILAR.glob("*.py"):
        shutil.copy(p, subs / p.name)
    (subs / "notes.txt").write_text("not a submission")
    summary = grade_batch("kmeans_scratch", subs, out, workers=2)
    book = Gradebook(out / "grades.sqlite")
    results = {r.student: r for r in book.results("kmeans_scratch")}
    book.close()
    return {"out": out, "results": results, "summary": summary}


def _parse(path: Path):
    """Parse strictly as HTML5: any parse error fails the test."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(path.read_text(encoding="utf-8"))


def test_every_format_has_its_files(graded):
    out = graded["out"]
    assert set(writers()) >= {"gradebook_csv", "gradescope", "html", "markdown", "similarity_csv"}
    for name in ("report.html", "report.md", "gradebook.csv", "similarity.csv", "similarity.html"):
        assert (out / name).is_file(), name
    for student in graded["results"]:
        for ext in ("html", "md"):
            assert (out / "feedback" / f"{student}.{ext}").is_file()
        assert (out / "results" / f"{student}.json").is_file()


def test_the_pages_are_well_formed_html5(graded):
    out = graded["out"]
    pages = [out / "report.html", out / "similarity.html", *(out / "feedback").glob("*.html")]
    for page in pages:
        doc = _parse(page)
        assert doc.find(".//title").text.strip(), page


def test_the_report_has_statistics_item_analysis_and_the_planted_pair(graded):
    doc = _parse(graded["out"] / "report.html")
    text = " ".join(doc.itertext())
    for heading in ("Item analysis", "Integrity flags", "Similarity", "Files not graded"):
        assert heading in text
    assert "Score distribution" in text and "Time per submission" in text
    assert "notes.txt" in text, "the file that was not graded is listed"
    items = [" ".join(tr.itertext()) for tr in doc.iter("tr")]
    titles = {c.name for r in graded["results"].values() for c in r.cases}
    assert all(any(t in row for row in items) for t in titles), "a check is missing"
    links = [a.get("href") for a in doc.iter("a")]
    assert "similarity.html#pair-1" in links
    with open(graded["out"] / "similarity.csv", newline="") as fh:
        top = next(csv.DictReader(fh))
    assert {top["student_a"], top["student_b"]} == {"honest_a", "planted_copy"}
    assert float(top["similarity"]) >= 0.7


def test_a_students_page_has_their_figure_and_nothing_hidden_or_teacher_only(graded):
    out, results = graded["out"], graded["results"]
    page = (out / "feedback" / "planted_copy.html").read_text()
    assert "Your elbow curve" in page and "data:image/svg+xml;base64," in page
    doc = _parse(out / "feedback" / "planted_copy.html")
    text = " ".join(doc.itertext())
    hidden = {c.name for r in results.values() for c in r.cases if c.hidden}
    public = {c.name for r in results.values() for c in r.cases if not c.hidden}
    assert hidden and any(name in text for name in public)
    for r in results.values():
        page = (out / "feedback" / f"{r.student}.html").read_text()
        leaked = [name for name in hidden if name in page]
        assert not leaked, (r.student, leaked)
        shown = {c.output for c in r.cases if not c.hidden}
        for c in r.cases:
            # a hidden message that a public message contains ("X raised NotImplementedError",
            # where the public one adds the line) says nothing about a leak
            if c.hidden and c.output and not any(c.output in o for o in shown):
                assert c.output not in page, (r.student, c.name)
        for teacher_only in ("similarity", "honest_a", "integrity", "planted_copy"):
            if teacher_only != r.student:
                assert teacher_only not in page.lower().replace(r.student, ""), (
                    r.student,
                    teacher_only,
                )


def test_the_stub_gets_no_figure_and_its_page_still_renders(graded):
    assert graded["results"]["stub"].figures == []
    assert "Your results as pictures" not in (graded["out"] / "feedback" / "stub.html").read_text()


def test_files_not_graded_are_listed_with_the_reason(graded):
    not_graded, notes = intake_lines(
        ["not graded: notes.txt: not a Python file or notebook", "replaced: a.py by b.py"]
    )
    assert not_graded == [NotGraded("notes.txt", "not a Python file or notebook")]
    batch = Batch(
        "kmeans_scratch",
        "K-means",
        [],
        [graded["results"]["reference"]],
        not_graded=not_graded,
        intake_notes=notes,
    )
    page = html.report(batch)
    row = "<td><code>notes.txt</code></td><td>not a Python file or notebook</td>"
    assert row in page and "replaced: a.py by b.py" in page
    text = markdown.report(batch)
    assert "- not graded: notes.txt: not a Python file or notebook" in text
    assert "replaced: a.py by b.py" in text
    empty = html.report(Batch("toy", "Toy", [], []))
    assert "No submissions graded yet" in empty


def test_html_escapes_what_students_wrote(graded):
    r = copy.deepcopy(graded["results"]["reference"])
    r.cases[0].output = "<script>alert(1)</script>"
    r.cases[0].status = "failed"
    r.cases[0].hidden = False
    page = html.feedback(r, title="K-means")
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


# --- in a real browser ------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=FLAGS)
        yield b
        b.close()


@pytest.mark.parametrize(
    "page", ["report.html", "similarity.html", "feedback/planted_copy.html", "feedback/stub.html"]
)
def test_pages_load_in_chromium_without_errors_requests_or_broken_images(
    graded, browser, page, tmp_path
):
    shot = tmp_path / "shot.png"
    visit = open_page(browser, graded["out"] / page, screenshot=shot)
    assert visit.errors == [] and visit.console == [], (visit.errors, visit.console)
    own = (graded["out"] / page).resolve().as_uri()
    assert [u for u in visit.requests if u != own and not u.startswith("data:")] == []
    for img in visit.images:
        assert img["complete"] and img["width"] > 0, img
    if page == "report.html":
        assert len(visit.images) >= 2  # the score and time histograms
    if page == "feedback/planted_copy.html":
        assert len(visit.images) == 1  # the elbow curve
    assert shot.stat().st_size > 0


@pytest.mark.parametrize("page", ["report.html", "similarity.html", "feedback/planted_copy.html"])
def test_pages_fit_a_phone_screen(graded, browser, page):
    visit = open_page(browser, graded["out"] / page, width=380)
    assert visit.width_overflow <= 0, "the page scrolls sideways on a phone"


def test_readme_screenshot_of_the_report(graded, browser, tmp_path):
    """Made by the browser: with CLUSTERLAB_SCREENSHOT=docs/report.png it is kept (< 150 KB)."""
    from PIL import Image

    shot = tmp_path / "report.png"
    open_page(browser, graded["out"] / "report.html", width=900, screenshot=shot)
    im = Image.open(shot).convert("RGB")
    im = im.resize((im.width * 2 // 3, im.height * 2 // 3), Image.LANCZOS)
    im = im.quantize(colors=64)
    small = tmp_path / "small.png"
    im.save(small, optimize=True)
    assert 0 < small.stat().st_size < 150_000
    if SCREENSHOT:
        shutil.copy(small, SCREENSHOT)

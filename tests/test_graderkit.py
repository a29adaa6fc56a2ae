"""The grading mechanisms every assignment shares (autograder/graders/graderkit.py):
dependencies between checks, hints and data as fields, one memo per submission across
question files, hidden points announced, and the guard that keeps otter runs safe.

The engine's ``kit`` assignment (tests/fixtures/engine/graders/kit) exercises them.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from autograder import assignment
from autograder.export import OTTER_CONFIG, otter_zip
from autograder.grading import Grader
from autograder.publish import public_files
from autograder.render.gradescope import results_json
from autograder.render.terminal import render_text
from autograder.results import HIDDEN_VISIBILITY, CaseResult
from autograder.runner import fill_failure
from autograder.testfiles import load_questions

ENGINE = Path(__file__).parent / "fixtures" / "engine"
SUBMISSIONS = ENGINE / "submissions"
KIT = assignment.load("kit", root=ENGINE)
REPO = Path(__file__).resolve().parent.parent


def _kit_module():
    path = REPO / "autograder" / "graders" / "graderkit.py"
    spec = importlib.util.spec_from_file_location("graderkit_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


graderkit = _kit_module()


@pytest.fixture(scope="module")
def grader():
    g = Grader(KIT)
    yield g
    g.close()


def by_title(result) -> dict[str, CaseResult]:
    return {c.name: c for c in result.cases}


def test_a_correct_submission_passes_and_its_default_fit_is_made_once(grader):
    result = grader.grade(SUBMISSIONS / "kit_good.py")
    assert [c.status for c in result.cases] == ["passed"] * 7
    assert result.score == result.max_score == 9


def test_a_failing_function_is_explained_once_and_its_dependents_are_not_run(grader):
    cases = by_title(grader.grade(SUBMISSIONS / "kit_fit_raises.py"))
    first = cases["fit returns a model with centre_"]
    assert first.status == "failed" and "fit raised ValueError" in first.output
    for title in (
        "centre_ is the mean",
        "fit works on other data",
        "the default fit still counts after a call on other data",
        "the fit of other data is made once",
    ):
        assert (cases[title].status, cases[title].output) == ("not run", "fit failed")
    reused = cases["the default fit is made once for both files"]
    assert reused.status == "not run"
    assert reused.output == "the check “fit returns a model with centre_” did not pass"
    assert cases["load returns four numbers"].status == "passed"


def test_a_call_that_fails_only_on_other_data_does_not_stop_the_checks_of_the_default_call(
    grader,
):
    """A dependency on ``fit`` is on its default (memoised) call, not on any call of it: fit
    raises on the hidden data only, and a later check of the default fit still runs."""
    result = grader.grade(SUBMISSIONS / "kit_fit_raises_on_other_data.py")
    cases = by_title(result)
    other = cases["fit works on other data"]
    assert other.status == "failed" and other.output.startswith("fit raised ValueError")
    later = cases["the default fit still counts after a call on other data"]
    assert later.status == "passed", later.output
    # a dependency on the memoised call of other data ("fit:other data"): explained once
    reused = cases["the fit of other data is made once"]
    assert (reused.status, reused.output) == ("not run", "fit failed")
    assert result.score == 6  # 9 but the two checks of fit on other data


def test_a_failed_basic_check_skips_the_checks_that_rely_on_it(grader):
    result = grader.grade(SUBMISSIONS / "kit_no_centre.py")
    cases = by_title(result)
    basic = cases["fit returns a model with centre_"]
    assert basic.output == "the model has no attribute `centre_`"
    assert basic.hint == "set self.centre_ in fit."
    assert cases["centre_ is the mean"].status == "not run"
    text = render_text(result)
    assert "– centre_ is the mean: not run, because the check “fit returns" in text


def test_hint_expected_and_actual_are_fields_rendered_by_each_renderer(grader):
    result = grader.grade(SUBMISSIONS / "kit_wrong_mean.py")
    case = by_title(result)["centre_ is the mean"]
    assert (case.output, case.expected, case.actual, case.hint) == (
        "centre_ is not the mean of the data",
        "5",
        "6",
        "use np.mean.",
    )
    text = render_text(result)
    assert "    expected: 5\n    yours:    6\n    hint: use np.mean." in text
    gradescope = {t["name"]: t for t in results_json(result)["tests"]}
    assert gradescope["centre_ is the mean"]["output"].endswith("yours:    6\nhint: use np.mean.")
    hidden = by_title(result)["fit works on other data"]
    assert hidden.output == "on other data centre_ is not the mean"
    assert hidden.hint == "use the data you are given."
    assert gradescope["fit works on other data"]["visibility"] == HIDDEN_VISIBILITY


def test_a_plain_assertion_gives_its_last_hint_line_as_the_hint():
    case = CaseResult("q", "t", 0, 1, "failed")
    fill_failure(case, AssertionError("X has shape (3,); expected (4,)\nhint: use X.T."))
    assert (case.output, case.hint) == ("X has shape (3,); expected (4,)", "use X.T.")
    fill_failure(case, AssertionError(""))
    assert case.output == "this check failed"


def _write_question(folder: Path, body: str) -> Path:
    path = folder / "q1_x.py"
    path.write_text(
        "from otter.test_files import test_case\nOK_FORMAT = False\nname = 'q1_x'\n" + body
    )
    return path


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("{'nope': ['f']}", "not a case of this file"),
        ("{'a': ['f:']}", "expected a case, a student function"),
        ("{'a': ['f x']}", "expected a case, a student function"),
        ("{'a': 'f'}", "must be a list"),
        ("{'a': ['q1_x.b']}", "does not run before it"),
        ("['a']", "must be a dict"),
    ],
)
def test_a_wrong_depends_table_is_refused_with_the_reason(tmp_path, table, message):
    body = (
        f"DEPENDS = {table}\n"
        "@test_case(name='a', points=1)\ndef a(f):\n    pass\n"
        "@test_case(name='b', points=1)\ndef b(f):\n    pass\n"
    )
    with pytest.raises(ValueError, match=message):
        load_questions([_write_question(tmp_path, body)])


def test_the_public_copy_carries_the_support_files_stripped_and_the_hidden_points():
    files = {
        p.relative_to(KIT.bundle_dir).as_posix(): text for p, text in public_files(KIT).items()
    }
    assert "tests/support/_shared.py" in files and "tests/support/graderkit.py" in files
    assert "_hidden_data" not in files["tests/support/_shared.py"]
    assert "hidden_points = 2\n" in files["tests/q1_model.py"]
    assert "hidden_points = 2\n" in files["tests/q2_reuse.py"]


def test_check_announces_the_hidden_points(tmp_path):
    bundle = tmp_path / "kit"
    for path, text in public_files(KIT).items():
        target = bundle / path.relative_to(KIT.bundle_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    questions = load_questions(sorted((bundle / "tests").glob("q*.py")))
    assert sum(q.hidden_points for q in questions) == 4
    checker = Grader(KIT, public_only=True, test_files=sorted((bundle / "tests").glob("q*.py")))
    try:
        result = checker.grade(SUBMISSIONS / "kit_wrong_mean.py")
    finally:
        checker.close()
    assert (
        render_text(result)
        .rstrip()
        .endswith("public checks: 3/5 points; 4 more points are checked when your teacher grades")
    )
    # the same line at the end of the bundle's pytest run
    (bundle / "kit.py").write_text((SUBMISSIONS / "kit_wrong_mean.py").read_text())
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "public checks: 3/5 points; 4 more points are checked when your teacher grades" in (
        run.stdout
    ), run.stdout[-2000:]
    # and the same last line under the real `otter check`, after otter's own report
    run = subprocess.run(
        [sys.executable, "-m", "otter", "check", "kit.py"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "centre_ is not the mean of the data" in run.stdout, run.stdout[-2000:]
    assert run.stdout.rstrip().splitlines()[-1] == (
        "public checks: 3/5 points; 4 more points are checked when your teacher grades"
    ), run.stdout[-2000:]


def test_the_guard_stops_a_call_at_the_timeout_and_does_not_call_it_again():
    kit = graderkit.Kit(module="m", timeout=0.3, functions=("spin",))
    calls = []

    def spin():
        calls.append(1)
        while True:
            pass

    guarded = kit.guard("spin", spin)
    start = time.perf_counter()
    with pytest.raises(graderkit.Failed, match="spin was stopped after 0.3 s"):
        guarded()
    with pytest.raises(graderkit.Failed, match="not called again"):
        guarded()
    assert len(calls) == 1 and time.perf_counter() - start < 2


def test_a_module_that_did_not_import_gives_one_message_then_refers_to_it():
    kit = graderkit.Kit(module="m", timeout=1, functions=("f", "g"))
    try:
        compile("def f(:\n", "m.py", "exec")
    except SyntaxError as exc:
        error = exc
    namespace: dict = {}
    kit.guard_namespace(namespace, error)
    with pytest.raises(graderkit.Failed) as first:
        namespace["f"]()
    assert str(first.value) == "m.py did not import: SyntaxError: invalid syntax (line 1)"
    with pytest.raises(graderkit.Failed, match=r"not run, because m.py did not import"):
        namespace["g"]()


def test_a_missing_function_is_named():
    kit = graderkit.Kit(module="m", timeout=1, functions=("f", "g"))
    namespace = {"f": lambda: 1}
    kit.guard_namespace(namespace)
    with pytest.raises(graderkit.Failed, match="m.py has no function `g`"):
        namespace["g"]()
    assert namespace["f"]() == 1


def test_the_memo_marks_an_exception_with_the_call_it_came_from():
    from autograder import runner

    assert graderkit.MEMO_CALL == runner.MEMO_CALL
    memo = graderkit.Memo()

    def fit(x):
        raise ValueError("no")

    with pytest.raises(ValueError) as raised:
        memo.derived("outer", fit, lambda: memo.call("default", fit, 1))
    assert getattr(raised.value, graderkit.MEMO_CALL) == ("fit", "default")  # the innermost


def test_the_memo_keeps_a_result_and_an_exception_per_function():
    memo = graderkit.Memo()
    calls = []

    def f(x):
        calls.append(x)
        if x < 0:
            raise ValueError("negative")
        return 2 * x

    assert memo.call("a", f, 2) == memo.call("a", f, 3) == 4
    with pytest.raises(ValueError):
        memo.call("b", f, -1)
    with pytest.raises(ValueError):
        memo.call("b", f, -1)
    assert calls == [2, -1]


@pytest.mark.parametrize("name", [n for n in assignment.names()])
def test_each_kit_timeout_equals_the_assignment_timeout(name):
    a = assignment.load(name)
    shared = a.grader_dir / "support" / "_shared.py"
    if not shared.is_file():
        pytest.skip(f"{name} has no support/_shared.py yet")
    spec = importlib.util.spec_from_file_location(f"clusterlab:{shared.resolve()}", shared)
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    assert module.KIT.timeout == a.timeout
    assert module.KIT.module == a.module


def test_hidden_results_have_one_visibility_in_clusterlab_and_in_the_otter_zip():
    assert OTTER_CONFIG["show_hidden"] is True and HIDDEN_VISIBILITY == "after_published"


def _otter_run(zip_path: Path, submission: Path, out: Path) -> dict:
    out.mkdir()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "otter",
            "run",
            "-a",
            str(zip_path),
            "-o",
            str(out),
            "--no-logo",
            str(submission),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads((out / "results.json").read_text())


def test_otter_run_on_the_exported_zip_stops_an_endless_call_and_names_an_import_error(tmp_path):
    zip_path = otter_zip(KIT, tmp_path / "kit.zip")
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        config = json.loads(zf.read("otter_config.json"))
    assert {"tests/support/_shared.py", "tests/support/graderkit.py"} <= names
    assert config["show_hidden"] is True
    start = time.perf_counter()
    endless = _otter_run(
        zip_path, _as_kit(SUBMISSIONS / "kit_endless.py", tmp_path / "e"), tmp_path / "endless"
    )
    took = time.perf_counter() - start
    questions = {t["name"]: t for t in endless["tests"] if "score" in t}
    # load returns four numbers; everything that needs fit fails, and grading goes on
    assert {q: t["score"] for q, t in questions.items()} == {"q1_model": 1, "q2_reuse": 0}
    assert "fit was stopped after 2 s" in questions["q1_model"]["output"]
    assert "not called again" in questions["q1_model"]["output"]
    assert questions["q1_model"]["visibility"] == HIDDEN_VISIBILITY
    assert took < 60, took
    broken = _otter_run(
        zip_path, _as_kit(SUBMISSIONS / "kit_syntax_error.py", tmp_path / "s"), tmp_path / "syntax"
    )
    outputs = "\n".join(t["output"] for t in broken["tests"] if "score" in t)
    assert "kit.py did not import: SyntaxError" in outputs
    assert outputs.count("SyntaxError") == 1, outputs
    assert "NoneType" not in outputs


def _as_kit(path: Path, folder: Path) -> Path:
    folder.mkdir()
    target = folder / "kit.py"
    target.write_text(path.read_text())
    return target


def test_fixture_toml_is_valid():
    tomllib.loads((ENGINE / "graders" / "kit" / "assignment.toml").read_text())

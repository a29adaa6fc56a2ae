"""The color_compression graders against the solution, the stub and known variants.

Every variant of tests/fixtures/color_compression/variants.toml is graded in the
sandbox: legitimate variants must score full marks, each known mistake must lose
exactly the cases listed for it, each with a message that names the problem.
"""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import pytest

from autograder import assignment
from autograder.grading import grade_submission

from .harness import (
    appended,
    assert_earns_only,
    assert_no_cascade,
    case_parameters,
    load_module,
    lost_cases,
)
from .harness import assert_loses_exactly as _assert_loses_exactly
from .harness import patched as _patched

REPO = Path(__file__).resolve().parent.parent
NAME = "color_compression"
SOLUTION = REPO / "solutions" / f"{NAME}.py"
STUB = REPO / "assignments" / NAME / f"{NAME}.py"
FIXTURES = REPO / "tests" / "fixtures" / NAME
TABLE = tomllib.loads((FIXTURES / "variants.toml").read_text())
FUNCTIONS = ("load_image", "to_pixels", "fit_palette", "quantize", "psnr", "compression_ratio")


def _hidden_secrets() -> tuple[str, ...]:
    """Texts no hidden message may show: the hidden image's name and hidden thresholds."""
    grader = load_module(assignment.load(NAME).grader_dir / "q2_palette.py", "cc_q2_secrets")
    floors = (
        grader._hidden_PSNR_FLOOR_64,
        grader._hidden_PSNR_FLOOR_FLOWER_16,
        grader._hidden_PSNR_FLOOR_FLOWER_8,
    )
    return ("flower", *(f"{floor:.1f} dB" for floor in floors))


HIDDEN_SECRETS = _hidden_secrets()


@pytest.fixture(scope="module")
def solution_result():
    return grade_submission(NAME, SOLUTION)


def test_solution_scores_full_marks(solution_result):
    assert solution_result.status == "graded"
    assert lost_cases(solution_result) == {}
    assert solution_result.score == solution_result.max_score == 33


def test_stub_scores_zero_and_names_each_unfinished_function_once():
    result = grade_submission(NAME, STUB)
    assert result.score == 0
    explained: list[str] = []
    for case in result.cases:
        if case.status == "failed":  # the first check of a function says what happened
            assert "NotImplementedError" in case.output, (case.name, case.output)
            explained.append(case.output.split(" raised ")[0])
        else:  # the others are not run, naming the function (DEPENDS), not re-explained
            assert case.status == "not run", (case.name, case.status)
            assert case.output.removesuffix(" failed") in explained, (case.name, case.output)
    assert sorted(explained) == sorted(FUNCTIONS)


def test_stub_keeps_the_solution_signatures():
    stub, solution = load_module(STUB, "cc_stub"), load_module(SOLUTION, "cc_solution")
    for name in FUNCTIONS:
        assert inspect.signature(getattr(stub, name)) == inspect.signature(
            getattr(solution, name)
        ), name
        assert getattr(stub, name).__doc__, f"{name} in the stub has no docstring"


@pytest.mark.parametrize("entry", TABLE["legit"], ids=lambda e: e["id"])
def test_legitimate_variant_scores_full_marks(entry, tmp_path):
    result = grade_submission(NAME, patched(entry, tmp_path))
    assert lost_cases(result) == {}


@pytest.mark.parametrize("entry", TABLE["bug"], ids=lambda e: e["id"])
def test_known_mistake_loses_exactly_its_cases(entry, tmp_path):
    result = grade_submission(NAME, patched(entry, tmp_path))
    assert_loses_exactly(result, entry["lost"])
    assert_no_cascade(result, case_parameters(NAME), SOLUTION.read_text(), entry["old"])


@pytest.mark.parametrize("entry", TABLE["degenerate"], ids=lambda e: e["id"])
def test_degenerate_answer_earns_nothing_it_satisfies_only_trivially(entry, tmp_path):
    assert_earns_only(
        grade_submission(NAME, appended(SOLUTION, entry, tmp_path, NAME)), entry["kept"]
    )


@pytest.mark.parametrize("entry", TABLE["student"], ids=lambda e: e["file"])
def test_student_file_loses_exactly_its_cases(entry):
    assert_loses_exactly(grade_submission(NAME, FIXTURES / entry["file"]), entry["lost"])


def test_every_case_is_lost_by_some_fixture(solution_result):
    """No case that cannot fail: each one is lost by at least one known mistake."""
    titles = {c.name for c in solution_result.cases}
    covered = {t for kind in ("bug", "student") for e in TABLE[kind] for t in e["lost"]}
    assert titles - covered == set()
    assert covered - titles == set(), "the table names cases that do not exist"


def test_measured_variants_still_apply_to_the_solution():
    """The calibration measures them; their replacement must still find its text."""
    source = SOLUTION.read_text()
    for entry in TABLE["measured"]:
        assert source.count(entry["old"]) == 1, entry["id"]


def test_readme_figures_exist_and_are_small():
    figures = sorted((REPO / "assignments" / NAME / "figures").glob("*.png"))
    assert len(figures) >= 3
    for path in figures:
        assert path.stat().st_size < 200 * 1024, path.name
        assert path.name in (REPO / "assignments" / NAME / "README.md").read_text()


def test_public_psnr_title_states_the_calibrated_floor(solution_result):
    grader = load_module(assignment.load(NAME).grader_dir / "q2_palette.py", "cc_q2_title")
    titles = [c.name for c in solution_result.cases if "with a PSNR of at least" in c.name]
    expected = "the 16-colour palette reproduces china.jpg with a PSNR of at least"
    assert titles == [f"{expected} {grader.PSNR_FLOOR_16} dB"]


def patched(entry: dict, tmp_path: Path) -> Path:
    return _patched(SOLUTION, entry, tmp_path, NAME)


def assert_loses_exactly(result, expected: dict[str, str]) -> None:
    _assert_loses_exactly(result, expected, _leaks_secret)


def _leaks_secret(text: str) -> bool:
    return any(secret in text for secret in HIDDEN_SECRETS)

"""The student copies of the graders: hidden cases stripped, in sync, loadable."""

import pytest

from autograder import assignment
from autograder.publish import PublishError, strip_hidden, sync
from autograder.testfiles import load_questions

NAMES = assignment.names()

SOURCE = '''
from otter.test_files import test_case

OK_FORMAT = False
name = "q1"

_hidden_SEED = 42
"""The seed of the hidden data."""


def _helper():
    return 1


@test_case(name="public one", points=1)
def public(f):
    assert f() == _helper()


@test_case(name="hidden one", points=2, hidden=True)
def secret(f):
    assert f() == _hidden_data()


def _hidden_data():
    return _hidden_SEED
'''


def test_strip_hidden_removes_hidden_cases_and_hidden_helpers():
    public = strip_hidden(SOURCE)
    assert "public one" in public and "_helper" in public
    assert "hidden one" not in public and "_hidden" not in public and "42" not in public
    assert "The seed of the hidden data" not in public
    compile(public, "q1.py", "exec")


def test_public_code_that_uses_a_stripped_name_is_refused():
    leaky = SOURCE.replace("assert f() == _helper()", "assert f() == _hidden_SEED")
    with pytest.raises(PublishError, match="_hidden_SEED"):
        strip_hidden(leaky)


def test_hidden_flag_must_be_a_literal():
    with pytest.raises(PublishError, match="literal"):
        strip_hidden(SOURCE.replace("hidden=True", "hidden=bool(1)"))


@pytest.mark.parametrize("name", NAMES)
def test_public_copies_are_in_sync(name):
    assert sync(assignment.load(name), check=True) == [], "run `clusterlab sync`"


@pytest.mark.parametrize("name", NAMES)
def test_public_copy_equals_graders_minus_hidden_cases(name):
    a = assignment.load(name)
    full = load_questions(a.grader_files())
    public = load_questions(a.public_files())
    assert [q.name for q in public] == [q.name for q in full]
    for fq, pq in zip(full, public, strict=True):
        expected = [(c.name, c.points, c.params) for c in fq.cases if not c.hidden]
        assert [(c.name, c.points, c.params) for c in pq.cases] == expected
        assert not any(c.hidden for c in pq.cases)
        assert "_hidden" not in pq.path.read_text()


@pytest.mark.parametrize("name", NAMES)
def test_bundle_has_a_github_workflow_that_runs_the_public_checks(name):
    import yaml

    a = assignment.load(name)
    workflow = yaml.safe_load((a.bundle_dir / ".github" / "workflows" / "check.yml").read_text())
    steps = workflow["jobs"]["check"]["steps"]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "pip install -r requirements.txt" in runs and ".github/report_points.py" in runs
    script = (a.bundle_dir / ".github" / "report_points.py").read_text()
    assert '"pytest"' in script  # the script runs the public checks with pytest
    assert (a.bundle_dir / "requirements.txt").is_file()

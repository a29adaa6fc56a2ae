"""Shared fixtures for ClusterLab's own tests."""

from pathlib import Path

import pytest

from autograder import assignment
from autograder.grading import Grader

ENGINE = Path(__file__).parent / "fixtures" / "engine"


@pytest.fixture(scope="session")
def toy_grader():
    """A grader for the engine's toy assignment (3 s per call), shared by the session."""
    grader = Grader(assignment.load("toy", root=ENGINE / ""))
    yield grader
    grader.close()


@pytest.fixture
def toy_submission():
    """Path of a toy submission by name."""
    return lambda name: ENGINE / "submissions" / f"{name}.py"

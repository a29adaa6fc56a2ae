"""Grading beyond one machine: the same grading task on a Dask distributed cluster.

Each Dask worker process keeps one :class:`~autograder.grading.Grader` (with its own
zygote and sandbox) per assignment and settings, exactly as a local pool worker
does. The submission travels as bytes, so workers need ClusterLab installed but
not the submissions folder; results come back as plain dicts and are recorded by
the caller, in the gradebook, as they arrive.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from autograder.assignment import Assignment
from autograder.grading import Grader, SubmissionUnreadable, read_source
from autograder.results import SubmissionResult
from autograder.settings import Settings

CONNECT_TIMEOUT = "30s"
"""How long to wait for the scheduler before saying grading could not run."""

_GRADERS: dict[tuple, Grader] = {}


def grade_remote(
    assignment: str | Assignment,
    student: str,
    source: bytes,
    settings: Settings | None = None,
    figures: bool = True,
) -> dict:
    """Runs on a Dask worker: grade one submission's source in this worker's sandbox,
    under the batch's ``settings`` (the whole resolved object)."""
    key = (assignment, settings, figures)
    if key not in _GRADERS:
        _GRADERS[key] = Grader(assignment, settings=settings, figures=figures)
    grader = _GRADERS[key]
    with tempfile.TemporaryDirectory(prefix="clusterlab-dask-") as tmp:
        path = Path(tmp) / f"{grader.assignment.module}.py"
        path.write_bytes(source)
        return grader.grade(path, student=student).to_dict()


def grade_on_dask(
    scheduler: str,
    grader: Grader,
    assignment: str | Assignment,
    subs: list,
    record: Callable[[SubmissionResult], None],
    fail: Callable[[object, str], None],
    *,
    settings: Settings | None = None,
    figures: bool = True,
) -> None:
    """Submit every submission to the cluster at ``scheduler``; record results as they come.

    ``fail(submission, why)`` records a submission the cluster could not grade (its
    worker was lost twice, say); the batch carries on. ``figures`` as in
    :func:`autograder.batch.grade_batch`.
    """
    from distributed import Client, as_completed

    with Client(scheduler, timeout=CONNECT_TIMEOUT) as client:
        futures = {}
        for sub in subs:
            try:
                source = read_source(sub.path)
            except SubmissionUnreadable:  # judged here: nothing of it runs anywhere
                record(grader.grade(sub.path, student=sub.student))
                continue
            fut = client.submit(
                grade_remote,
                assignment,
                sub.student,
                source,
                settings,
                figures,
                pure=False,
                retries=1,
                key=f"clusterlab-{sub.student}-{os.urandom(4).hex()}",
            )
            futures[fut] = sub
        for fut in as_completed(futures):
            sub = futures[fut]
            try:
                result = SubmissionResult.from_dict(fut.result())
            except Exception as exc:
                fail(sub, f"the Dask cluster could not grade it: {type(exc).__name__}: {exc}")
                continue
            result.source = str(sub.path)
            record(result)

"""Grade on a pool of local worker processes, and find the submission that kills a worker.

Each worker holds one :class:`~autograder.grading.Grader` (with its own zygote).
At most one submission per worker is in flight, so when a worker dies the
submissions its pool was grading are known exactly. They are suspects, not
culprits: each is graded again on its own, in a fresh worker. A suspect that
kills that worker too is recorded as a grader error with an integrity flag; the
others get their real results, and the rest of the class carries on in a fresh
pool.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from autograder.assignment import Assignment
from autograder.grading import Grader
from autograder.results import SubmissionResult
from autograder.sandbox.zygote_client import Zygote
from autograder.settings import Settings

KILLED_WORKER = "your submission stopped its grading process, also when it was graded on its own"
"""What a submission that kills its worker twice is told (and the teacher's flag says)."""


@dataclass(frozen=True)
class WorkerSettings:
    """What each worker's grader is built with."""

    assignment: str | Assignment
    settings: Settings | None = None
    """The batch's resolved settings, whole (None: the assignment's own)."""
    figures: bool = True


_worker: Grader | None = None


def _stop_worker(signum: int, frame: Any) -> None:
    """SIGTERM from the batch (Ctrl-C): close this worker's zygote, then exit at once."""
    try:
        if _worker is not None:
            _worker.close()
    finally:
        os._exit(0)


def _init_worker(settings: WorkerSettings) -> None:
    global _worker
    from autograder.sandbox.jail import parent_death_signal

    # Ctrl-C is the batch's to handle: it stops the workers (SIGTERM) and writes the
    # outputs. The worker started with SIGINT blocked (see _submit), so a Ctrl-C that came
    # while it was starting is dropped here, with no traceback from a half-started worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    parent_death_signal()  # a worker (and so its zygote and children) dies with the batch
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)  # the batch died before the signal was armed

    # one core per worker (the Grader limits its threads: the workers share the cores);
    # the zygote's imports go on while the graders load (the first grade waits for them)
    _worker = Grader(
        settings.assignment,
        settings=settings.settings,
        figures=settings.figures,
        zygote=Zygote(wait=False),
    )


def _grade_in_worker(sub: Any, protect: list[str]) -> dict:
    from autograder.batch import grade_one

    return grade_one(_worker, sub, protect).to_dict()


def run_pool(
    settings: WorkerSettings,
    todo: list,
    protect: list[str],
    workers: int,
    record: Callable[[SubmissionResult], None],
    fail: Callable[[Any, str, list[str]], None],
) -> list[str]:
    """Grade ``todo`` on ``workers`` processes; returns the problems to tell the teacher.

    ``record(result)`` is called for every result; ``fail(submission, why, flags)`` for
    a submission that could not be graded (a bug in a grader, or killing its worker
    even when graded alone).
    """
    problems: list[str] = []
    pending = deque(todo)
    suspects: list = []
    while pending:
        died = _one_pool(settings, pending, protect, workers, record, fail)
        if died:
            suspects += died
            problems.append(
                f"a grading worker died while grading {len(died)} submission(s); "
                "each was graded again on its own"
            )
    for sub in suspects:
        if _one_pool(settings, deque([sub]), protect, 1, record, fail):
            fail(sub, KILLED_WORKER, [f"worker: {KILLED_WORKER}"])
            problems.append(f"{sub.student}: stopped its grading process twice")
    return problems


def _one_pool(settings, pending: deque, protect, workers, record, fail) -> list:
    """Grade from ``pending`` until it is empty or a worker dies; returns the in-flight ones
    if one died (they stay out of ``pending``)."""
    pool = ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_init_worker, initargs=(settings,)
    )
    in_flight: dict[Future, Any] = {}
    died: list = []
    broken = interrupted = False
    try:
        while (pending and not broken) or in_flight:
            while pending and not broken and len(in_flight) < workers:
                sub = pending.popleft()
                try:
                    in_flight[_submit(pool, sub, protect)] = sub
                except BrokenProcessPool:  # died before we noticed: this one never started
                    pending.appendleft(sub)
                    broken = True
            if not in_flight:
                break
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for fut in finished:
                sub = in_flight.pop(fut)
                try:
                    result = SubmissionResult.from_dict(fut.result())
                except BrokenProcessPool:
                    died.append(sub)
                    broken = True
                except Exception as exc:  # a bug in a grader: report it, carry on
                    why = f"{type(exc).__name__}: {exc}"
                    fail(sub, why, [why])
                else:  # what record raises (the reference failed) stops the batch
                    record(result)
    except BaseException:  # Ctrl-C, or the batch stops (the reference failed): now
        interrupted = True
        _stop_workers(pool)
        raise
    finally:
        if not interrupted:
            pool.shutdown(wait=True, cancel_futures=True)
    return died


def _submit(pool: ProcessPoolExecutor, sub: Any, protect: list[str]) -> Future:
    """``pool.submit``, with SIGINT blocked meanwhile: a worker it starts inherits the mask,
    so a Ctrl-C reaches only the batch (delivered here once unblocked)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return pool.submit(_grade_in_worker, sub, protect)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


STOP_SECONDS = 2.0
"""How long a stopped worker may take to close its zygote before it is killed."""


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Ctrl-C: stop every worker now (what they were grading is lost, nothing else).

    ``shutdown`` alone would wait for the submissions in flight, for as long as a
    submission's time budget; each worker instead closes its zygote and exits on SIGTERM.
    ``_processes`` is the executor's own table of its workers (Python 3.14 adds
    ``terminate_workers`` for this).
    """
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.join(STOP_SECONDS)
        if proc.is_alive():
            proc.kill()
            proc.join(1)

"""What a call into student code did besides returning: counted in the child, sent as data.

A grader cannot run code in the sandbox child, so what it needs to know about *how* a
result was made is counted here and sent back with the reply of every call:

- ``dask``: the Dask computations the call made on a local scheduler (the threaded or
  the synchronous one): how many ``compute`` calls, how many tasks ran, and how many of
  them ran on a worker thread of the threaded scheduler (the synchronous scheduler
  runs tasks with no worker id). Counted by a Dask callback registered once, only
  when the student's code has imported Dask.

The counts come from the child, so a submission can forge them: they tell an honest
mistake (a serial loop, one task for the whole grid) from the intended work, they are
not a security boundary.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

_lock = threading.Lock()
_counts = {"computes": 0, "tasks": 0, "threaded_tasks": 0}
_registered = False


def _register_dask_callback() -> None:
    """Register the counting callback with Dask, once, if Dask has been imported."""
    global _registered
    if _registered or "dask" not in sys.modules:
        return
    from dask.callbacks import Callback

    def start(dsk: Any) -> None:
        with _lock:
            _counts["computes"] += 1

    def posttask(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        with _lock:
            _counts["tasks"] += 1
            if worker_id is not None:
                _counts["threaded_tasks"] += 1

    Callback(start=start, posttask=posttask).register()
    _registered = True


class Measure:
    """Context manager around one call: ``stats`` holds what the call did."""

    def __enter__(self) -> Measure:
        _register_dask_callback()
        with _lock:
            self._before = dict(_counts)
        self.stats: dict[str, dict[str, int]] = {}
        return self

    def __exit__(self, *exc: object) -> None:
        _register_dask_callback()  # the call may have imported Dask itself
        with _lock:
            delta = {key: _counts[key] - self._before[key] for key in _counts}
        if any(delta.values()):
            self.stats["dask"] = delta


_PROBE_KEYS = {"dask": ("computes", "tasks", "threaded_tasks")}


def probe_stats(reply: dict) -> dict[str, dict[str, int]]:
    """The counts of a call reply (grader side), kept only when they are well-formed counts."""
    stats = {}
    for probe, keys in _PROBE_KEYS.items():
        counts = reply.get(probe)
        if type(counts) is dict and set(counts) == set(keys):
            if all(type(counts[k]) is int and 0 <= counts[k] < 1 << 40 for k in keys):
                stats[probe] = {k: counts[k] for k in keys}
    return stats

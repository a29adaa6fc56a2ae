"""Proxies to objects that stay in the sandbox child: handles and student functions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autograder import codec
from autograder.sandbox import protocol
from autograder.sandbox.errors import StaleHandle

if TYPE_CHECKING:
    from autograder.sandbox.session import Session


def handle_ref(obj: Any) -> dict:
    if isinstance(obj, Handle):
        return obj._ref()
    raise codec.CodecError(f"the grader cannot send a {type(obj).__name__} to the sandbox")


class Handle:
    """A non-data object that lives in the child; attribute reads and calls are forwarded."""

    __slots__ = ("_session", "_generation", "_id", "_type", "_label", "__weakref__")

    def __init__(self, session: Session, generation: int, node: dict, label: str):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_generation", generation)
        hid, kind = node.get("id"), node.get("type", "object")
        if type(hid) is not int or type(kind) is not str:
            raise protocol.ProtocolError("bad handle")
        object.__setattr__(self, "_id", hid)
        object.__setattr__(self, "_type", kind[:80])
        object.__setattr__(self, "_label", label)

    def _ref(self) -> dict:
        if self._generation != self._session.generation:
            raise StaleHandle(self._label)
        return {"t": "handle", "id": self._id}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._session.request(protocol.GetAttr(self, name), f"{self._label}.{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("objects in the sandbox are read-only")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.request(protocol.Call(self, list(args), dict(kwargs)), self._label)

    def __getitem__(self, key: Any) -> Any:
        return self._session.request(protocol.GetItem(self, key), f"{self._label}[...]")

    def __len__(self) -> int:
        n = self._session.request(protocol.Len(self), f"len({self._label})")
        if type(n) is not int or n < 0:
            raise TypeError(f"len({self._label}) did not return a count")
        return n

    def __iter__(self):
        raise TypeError(f"{self._label} is a {self._type} object, not a list or array")

    def __array__(self, *args: Any, **kwargs: Any):
        raise TypeError(f"{self._label} is a {self._type} object, not an array")

    def __repr__(self) -> str:
        return f"<{self._type} object returned by {self._label}>"


class RemoteFunction:
    """A student function: calling it calls the function of that name in the child.

    ``last_call`` holds what the child counted during the last call (see
    :mod:`autograder.sandbox.probes`), e.g. ``{"dask": {"computes": 1, "tasks": 6,
    "threaded_tasks": 6}}``; empty when the call did nothing countable or failed.
    """

    def __init__(self, session: Session, name: str):
        self._session, self.__name__ = session, name
        self.last_call: dict[str, dict[str, int]] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.last_call = {}
        value = self._session.call_global(self.__name__, args, kwargs)
        self.last_call = self._session.last_stats
        return value

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"

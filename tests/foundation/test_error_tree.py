"""The error tree drawn in :mod:`syncd.errors` is the class hierarchy, no more and no less."""

from __future__ import annotations

import importlib
import pkgutil
import re

import syncd
from syncd import errors
from syncd.bokio.errors import BokioError

_NODE = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>[A-Z][A-Za-z]+)\b")


def _drawing() -> dict[str, str | None]:
    """``{class name: drawn parent}`` from the docstring's tree (``None`` for the root)."""
    lines = (errors.__doc__ or "").split("::", 1)[1].splitlines()
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in lines:
        match = _NODE.match(line.removeprefix("    "))
        if match is None:
            continue
        depth = len(match["indent"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[match["name"]] = stack[-1][1] if stack else None
        stack.append((depth, match["name"]))
    return parents


def _classes() -> dict[str, type[BaseException]]:
    """Every subclass of SyncdError defined anywhere in syncd (each module imported once)."""
    for module in pkgutil.walk_packages(syncd.__path__, "syncd."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: dict[str, type[BaseException]] = {}
    pending: list[type[BaseException]] = [errors.SyncdError]
    while pending:
        cls = pending.pop()
        if cls.__module__.startswith("syncd."):
            assert found.setdefault(cls.__name__, cls) is cls, f"two error classes named {cls.__name__}"
        pending.extend(cls.__subclasses__())
    return found


def _family(cls: type[BaseException]) -> str:
    """The drawn parent: the base other than the BokioError mixin."""
    bases = [b for b in cls.__bases__ if b is not BokioError] or list(cls.__bases__)
    assert len(bases) == 1, f"{cls.__name__} belongs to more than one family: {bases}"
    return bases[0].__name__


def test_the_drawing_names_every_error_class_with_its_real_parent() -> None:
    drawn = _drawing()
    classes = _classes()
    assert drawn.pop("SyncdError") is None
    assert sorted(drawn) == sorted(name for name in classes if name != "SyncdError")
    assert {name: _family(classes[name]) for name in drawn} == drawn


def test_an_uncertain_outcome_is_never_a_retriable_error() -> None:
    from syncd.bokio import OutcomeUnknownError

    assert issubclass(OutcomeUnknownError, errors.UncertainError)
    assert not issubclass(OutcomeUnknownError, errors.RetriableError | errors.FatalError)

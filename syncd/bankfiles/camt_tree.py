"""A camt element and everything below it as plain tuples, and ElementTree-style paths over them.

A camt entry's mapping reads most of its ~45 elements. Asking lxml for each of them costs a proxy
object, a namespaced tag string and a dict entry, about a fifth of the whole parse; reading the
entry once into plain values (:func:`flatten`) and walking dicts is cheaper. The compiled reader
``syncd.bankfiles._camtflat`` (C, built with the package where a compiler is present) reads
libxml2's nodes directly, without a proxy per element; :func:`flatten_py` builds the same values
through lxml's API and is used where the compiled reader is missing or declines an element. Tests
compare the two on every sample, fixture and damaged file.

A :data:`Node` is ``(text, attributes, children)``: lxml's ``element.text``; None or the
``(name, value)`` pairs of its attributes; None or a dict from key to the child nodes with that
key, in document order. The key is the local name of an element in the document's namespace; an
element of another namespace, or a comment, gets a key no path can name, as it would not match a
namespace-qualified ``find``.
"""

from __future__ import annotations

import functools
import importlib
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

from syncd.clock import STOCKHOLM
from syncd.errors import ParseError

Node: TypeAlias = tuple[str | None, tuple[tuple[str, str], ...] | None, dict[str, list[Any]] | None]
_AMOUNT = re.compile(r"\d{1,18}(\.\d{1,5})?")
_CCY = re.compile(r"[A-Z]{3}")
_DATE_CHOICE = ("Dt", "DtTm")
_NONE: list[Node] = []
_EMPTY = ("",) * 8
_UNNAMED = "{"  # the key of a comment or processing instruction: no path names it
_MAX_KEYS = 4096  # distinct tags remembered per document (a hostile file cannot grow it further)


@functools.cache
def _compiled() -> Any:
    """The compiled reader, or None (built without a C compiler, or against another lxml).

    Loaded on first use: it imports lxml, which commands that read no camt file need not pay for.
    Its element layout is lxml's public C API, stable within a major version.
    """
    try:  # by name: a static import of the package from here would be an import cycle for mypy
        compiled = importlib.import_module("syncd.bankfiles._camtflat")
    except ImportError:
        return None
    import lxml

    built, running = compiled.LXML_VERSION.split(".")[0], lxml.__version__.split(".")[0]
    return compiled if built == running else None


def compiled_reader() -> bool:
    """Whether camt entries are read by the compiled reader (the pure-Python one otherwise)."""
    return _compiled() is not None


def stripped(text: str | None) -> str:
    """Text without surrounding white space ('' for None)."""
    return text.strip() if text else ""


def own_text(node: Node) -> str:
    """The element's own text (lxml's ``.text``), stripped."""
    return stripped(node[0])


class _Keys(dict[Any, str]):
    """A document's element tags (lxml's ``{namespace}Local``) → the key a :data:`Node` uses.

    The local name for the document's own namespace, a key no path can name (``{`` + the tag) for
    any other namespace or for a comment; remembered per tag, since lxml hands out the same few
    dozen tags hundreds of thousands of times.
    """

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def key(self, tag: Any) -> str:
        """The key of a tag not yet remembered."""
        if tag.__class__ is not str:  # a comment or processing instruction
            return _UNNAMED
        prefix = self.prefix
        cut = len(prefix)
        key: str = tag[cut:] if tag.startswith(prefix) and tag[cut : cut + 1] != "{" else "{" + tag
        if len(self) < _MAX_KEYS:
            self[tag] = key
        return key


def flatten_py(el: Any, keys: _Keys) -> Node:
    """``el`` (lxml) and everything below it as a :data:`Node`, through lxml's API."""
    kids: dict[str, list[Node]] | None = None
    for child in el:
        tag = child.tag
        key = keys.get(tag)
        if key is None:
            key = keys.key(tag)
        if key == _UNNAMED:
            continue
        node = flatten_py(child, keys)
        if kids is None:
            kids = {key: [node]}
        else:
            found = kids.get(key)
            if found is None:
                kids[key] = [node]
            else:
                found.append(node)
    items = el.items()
    return (el.text, tuple(items) if items else None, kids)


def attribute(node: Node, name: str) -> str:
    """The value of an attribute without namespace ('' when the element has none by that name)."""
    for key, value in node[1] or ():
        if key == name:
            return value
    return ""


class Xml:
    """Namespace-agnostic paths (``"A/B"``) over :data:`Node` trees, with ElementTree's meaning."""

    def __init__(self, namespace: str, source: str) -> None:
        self.prefix = f"{{{namespace}}}" if namespace else ""
        self._keys = _Keys(self.prefix)
        self.source = source
        self._cache: dict[str, tuple[str, ...]] = {}
        self._split: dict[str, tuple[tuple[str, ...], str]] = {}
        self._compiled = _compiled()

    def node(self, el: Any) -> Node:
        """A parsed element (lxml) and all below it as a :data:`Node` of this document."""
        compiled = self._compiled
        if compiled is not None:
            try:
                node: Node = compiled.flatten(el, self.prefix)
            except compiled.Unreadable:  # something only a DTD makes: lxml's API reads it
                pass
            else:
                return node
        return flatten_py(el, self._keys)

    def _parts(self, path: str) -> tuple[str, ...]:
        parts = self._cache.get(path)
        if parts is None:
            parts = self._cache[path] = tuple(path.split("/"))
        return parts

    def findall(self, el: Node, path: str) -> list[Node]:
        """All elements at ``path`` below ``el``, in document order."""
        parts = self._parts(path)
        kids = el[2]
        nodes = (kids.get(parts[0]) or _NONE) if kids is not None else _NONE
        for part in parts[1:]:
            if not nodes:
                break
            nodes = [kid for node in nodes if node[2] is not None for kid in node[2].get(part) or _NONE]
        return nodes

    def find(self, el: Node, path: str) -> Node | None:
        """First element at ``path`` below ``el``, in document order."""
        node = el
        for part in self._parts(path):
            kids = node[2]
            found = kids.get(part) if kids is not None else None
            if not found:
                return None
            if len(found) > 1:  # several elements on the way: the first in document order
                nodes = self.findall(el, path)
                return nodes[0] if nodes else None
            node = found[0]
        return node

    def text(self, el: Node | None, path: str) -> str:
        """Stripped text at ``path`` or '' (the hottest call of the parse: ~30 an entry)."""
        if el is None:
            return ""
        split = self._split.get(path)
        if split is None:
            head, _, last = path.rpartition("/")
            split = self._split[path] = (tuple(head.split("/")) if head else (), last)
        steps, last = split
        node = el
        for part in steps:
            kids = node[2]
            found = kids.get(part) if kids is not None else None
            if not found:
                return ""
            if len(found) > 1:  # several elements on the way: ElementTree's first ``last`` below any
                return self._first_below(el, steps, last)
            node = found[0]
        kids = node[2]
        found = kids.get(last) if kids is not None else None
        if not found:
            return ""
        text = found[0][0]
        return text.strip() if text else ""

    def leaves(self, el: Node, base: str, names: tuple[str, ...]) -> tuple[str, ...]:
        """``text(el, f"{base}/{name}")`` for each of ``names``, walking ``base`` once.

        When a step of ``base`` has several elements, each name is looked up on its own, so the
        meaning (ElementTree's first match below any of them) stays exactly :meth:`text`'s.
        """
        node = el
        for part in self._parts(base):
            kids = node[2]
            found = kids.get(part) if kids is not None else None
            if not found:
                return _EMPTY[: len(names)]
            if len(found) > 1:
                return tuple(self.text(el, f"{base}/{name}") for name in names)
            node = found[0]
        kids = node[2]
        if kids is None:
            return _EMPTY[: len(names)]
        return tuple(stripped(found[0][0]) if (found := kids.get(name)) else "" for name in names)

    def _first_below(self, el: Node, steps: tuple[str, ...], last: str) -> str:
        for node in self.findall(el, "/".join(steps)):
            kids = node[2]
            found = kids.get(last) if kids is not None else None
            if found:
                return stripped(found[0][0])
        return ""

    def fail(self, location: str, message: str) -> ParseError:
        """A ParseError for this document."""
        return ParseError(message, location=location, source=self.source)

    def amount(self, el: Node, path: str, loc: str) -> tuple[Decimal, str] | None:
        """Amount and ``Ccy`` at ``path``; None when absent, ParseError when malformed."""
        node = self.find(el, path)
        if node is None:
            return None
        text = own_text(node)
        if not _AMOUNT.fullmatch(text):
            raise self.fail(f"{loc}/{path}", f"not a camt amount: {text[:40]!r}")
        ccy = attribute(node, "Ccy").strip()
        if not _CCY.fullmatch(ccy):
            raise self.fail(f"{loc}/{path}", f"missing or invalid currency Ccy={ccy[:10]!r}")
        return Decimal(text), ccy

    def date(self, el: Node, path: str, loc: str) -> date | None:
        """``path/Dt`` or ``path/DtTm`` as a Stockholm business date."""
        day, stamp = self.leaves(el, path, _DATE_CHOICE)
        try:
            if day:
                return date.fromisoformat(day[:10])
            if stamp:
                moment = datetime.fromisoformat(stamp)
                return moment.astimezone(STOCKHOLM).date() if moment.tzinfo else moment.date()
        except ValueError as exc:
            raise self.fail(f"{loc}/{path}", f"not a date: {(day or stamp)[:40]!r}") from exc
        return None

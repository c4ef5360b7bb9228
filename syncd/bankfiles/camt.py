"""camt.053 statements and camt.054 notifications, parsed safely and streamed.

Safety: lxml's parser is run with no DTD loading, no entity substitution and no network, and a
document with any DOCTYPE is refused at its first element (so no entity-expansion bombs and no
external entities). Speed:
libxml2 reports only ``Stmt``, ``Ntfctn`` and ``Ntry`` elements (a tag filter in C) instead of
defusedxml's Python-level expat handlers for every element, and each ``Ntry`` is read once into
plain tuples (:mod:`syncd.bankfiles.camt_tree`, by the compiled reader where it was built), so most
of the parse is the per-entry mapping in Python (the transaction values and their checks).
Streaming: the pull parser is fed in chunks and each ``Ntry`` is converted and then detached from
the tree, so memory stays flat on a 200 MB file (a statement's other children are small and stay
until it ends); the :class:`CamtStream` iterator lets an importer consume transactions without
holding them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from syncd.bankfiles.camt_entry import EntryContext, entry_transactions
from syncd.bankfiles.camt_tree import Node, Xml
from syncd.bankfiles.model import (
    BankTransaction,
    FileFormat,
    Fingerprinter,
    ParseResult,
    ProblemLog,
    StatementInfo,
)
from syncd.errors import ParseError

CHUNK = 64 * 1024
_ROOTS = {"BkToCstmrStmt": FileFormat.CAMT053, "BkToCstmrDbtCdtNtfctn": FileFormat.CAMT054}
_STATEMENTS = {"Stmt", "Ntfctn"}
# the only elements the parser reports (in any namespace); the rest is read from these
_TAGS = ("{*}Document", "{*}Stmt", "{*}Ntfctn", "{*}Ntry")
_DOCTYPE = tuple("<!DOCTYPE".encode(codec) for codec in ("ascii", "utf-16-le", "utf-16-be"))


class _ChunkReader:
    """A file-like ``read`` over an iterable of byte chunks, enforcing a size limit."""

    def __init__(self, chunks: Iterable[bytes], max_bytes: int | None, source: str) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""
        self._total = 0
        self._max = max_bytes
        self._source = source
        self.head = b""  # the first bytes, to name a DOCTYPE that libxml2 failed on

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._total += len(chunk)
            if self._max is not None and self._total > self._max:
                raise ParseError(
                    f"file is larger than the limit of {self._max} bytes",
                    location=f"byte {self._max}",
                    source=self._source,
                )
            self._buffer += chunk
            if len(self.head) < CHUNK:
                self.head += chunk[: CHUNK - len(self.head)]
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]


def _parser() -> Any:
    """lxml's pull parser, hardened: no DTD loaded, no entity resolved, no network, no huge tree.

    Any DOCTYPE at all is refused after the first event (see :meth:`CamtStream._check_prolog`);
    these options make sure nothing in one is fetched or expanded before that.
    """
    from lxml import etree  # only here: importing lxml costs start-up time other commands need not pay

    etree.clear_error_log()  # this thread's log then holds this document's errors only
    return etree.XMLPullParser(
        events=("start", "end"),
        tag=_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


class CamtStream:
    """Iterate the transactions of a camt file; afterwards ``result()`` has the metadata.

    Iterate it once, to the end: statements and problems are complete only then.
    """

    def __init__(self, chunks: Iterable[bytes], *, source: str = "", max_bytes: int | None = None) -> None:
        self.source = source
        self.format: FileFormat | None = None
        self.version = ""
        self.statements: list[StatementInfo] = []
        self.problems = ProblemLog(source)
        self._reader = _ChunkReader(chunks, max_bytes, source)
        self._x = Xml("", source)
        self._stamp = Fingerprinter()
        self._document: Any = None
        self._root: Any = None
        self._statement: Any = None
        self._stmt_loc = ""
        self._stmt_index = 0
        self._ntry_index = 0
        self._ctx: EntryContext | None = None
        self._root_tag = ""

    def _events(self) -> Iterator[tuple[str, Any]]:
        """The parser's events for the tags that matter, with XML errors turned into ParseError."""
        from lxml.etree import XMLSyntaxError

        parser = _parser()
        try:
            while chunk := self._reader.read(CHUNK):
                parser.feed(chunk)
                yield from parser.read_events()
            root = parser.close()
            yield from parser.read_events()
        except XMLSyntaxError as exc:
            raise self._syntax_error(parser, exc) from exc
        if self._document is None:
            self._check_prolog(root)

    def _syntax_error(self, parser: Any, exc: Any) -> ParseError:
        """The first error libxml2 logged, located as expat would (1-based line, 0-based column)."""
        from lxml.etree import ErrorLevels, ErrorTypes

        for event, elem in parser.read_events():  # the document as far as it was read
            if event == "start" and self._document is None:
                self._check_prolog(elem)
        self._check_structure()  # a wrong document is named as such, as far as it was read
        logged = [e for e in exc.error_log if e.level >= ErrorLevels.ERROR]
        first = logged[0] if logged else None
        line, column = (first.line, first.column) if first else exc.position
        message, code = (first.message, first.type) if first else (exc.msg, exc.code)
        if code == ErrorTypes.ERR_UNSUPPORTED_ENCODING:
            return ParseError(f"unsupported XML encoding: {message}", location="line 1", source=self.source)
        if self._document is None and any(mark in self._reader.head for mark in _DOCTYPE):
            return _refused(self.source)
        return ParseError(
            f"malformed XML: {message}",
            location=f"line {max(line, 1)}, column {max(column - 1, 0)}",
            source=self.source,
        )

    def __iter__(self) -> Iterator[BankTransaction]:
        for event, elem in self._events():
            if self._root is None:
                self._check_prolog(elem)
                self._check_structure()
            if event == "start":
                self._on_start(elem)
            else:
                yield from self._on_end(elem)
        self._check_structure()
        if self.format is None or not self.statements:
            raise ParseError("no Stmt or Ntfctn in the document", location="/Document", source=self.source)

    def _check_prolog(self, elem: Any) -> None:
        """Refuse a document with a DOCTYPE: a bank file has none, and a DTD is how XML attacks come."""
        docinfo = elem.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
            raise _refused(self.source)
        if self._document is None:
            self._start_document(elem.getroottree().getroot())

    def _check_structure(self) -> None:
        """Once the document's first child is there: is it a camt.053/054 message?"""
        document = self._document
        if self._root is not None or document is None or not len(document):
            return
        child = document[0]
        local = _local(child.tag) if isinstance(child.tag, str) else ""
        self.format = _ROOTS.get(local)
        if self.format is None:
            raise ParseError(
                f"not a camt.053/054 document (root {local[:40]!r})",
                location=f"/Document/{local[:40]}",
                source=self.source,
            )
        self._root, self._root_tag = child, local

    def _on_start(self, elem: Any) -> None:
        parent = elem.getparent()
        if parent is None or parent is not self._root or _local(elem.tag) not in _STATEMENTS:
            return
        self._stmt_index += 1
        self._ntry_index = 0
        self._statement, self._ctx = elem, None
        self._stmt_loc = f"/Document/{self._root_tag}/{_local(elem.tag)}[{self._stmt_index}]"

    def _on_end(self, elem: Any) -> Iterator[BankTransaction]:
        statement = self._statement
        if statement is None:
            return
        if elem is statement:
            self.statements.append(self._statement_info(self._x.node(statement), self._stmt_loc))
            statement.clear()
            self._statement = None
        elif _local(elem.tag) == "Ntry" and elem.getparent() is statement:
            self._ntry_index += 1
            if self._ctx is None:
                head = self._x.node(statement)
                self._ctx = EntryContext(
                    self._account(head, self._stmt_loc), self._stmt_loc, self._x.text(head, "Id")
                )
            loc = f"{self._stmt_loc}/Ntry[{self._ntry_index}]"
            for tx in entry_transactions(self._x, self._x.node(elem), self._ctx, loc, self.problems):
                yield self._stamp.stamp_fresh(tx)  # built just now, seen by no one
            elem.clear()  # the memory-flat part: a finished entry is dropped at once (emptied
            statement.remove(elem)  # first, so lxml need not walk its children to move them)

    def _start_document(self, root: Any) -> None:
        tag = root.tag if root is not None and isinstance(root.tag, str) else ""
        if _local(tag) != "Document":
            raise ParseError(
                f"not a camt.053/054 document (root {_local(tag)[:40]!r})", location="/", source=self.source
            )
        namespace = tag[1 : tag.find("}")] if tag.startswith("{") else ""
        self.version = namespace.rsplit(":", 1)[-1] if "camt.05" in namespace else ""
        self._x = Xml(namespace, self.source)
        self._document = root

    def _account(self, statement: Node, loc: str) -> str:
        x = self._x
        account = x.text(statement, "Acct/Id/IBAN") or x.text(statement, "Acct/Id/Othr/Id")
        if not account:
            raise ParseError(
                "statement without account (Acct/Id)", location=f"{loc}/Acct", source=self.source
            )
        return account

    def _statement_info(self, statement: Node, loc: str) -> StatementInfo:
        x = self._x
        balances: dict[str, Decimal] = {}
        for i, bal in enumerate(x.findall(statement, "Bal"), 1):
            code = x.text(bal, "Tp/CdOrPrtry/Cd")
            found = x.amount(bal, "Amt", f"{loc}/Bal[{i}]")
            if found is not None and code:
                balances.setdefault(code, -found[0] if x.text(bal, "CdtDbtInd") == "DBIT" else found[0])
        return StatementInfo(
            account=self._account(statement, loc),
            currency=x.text(statement, "Acct/Ccy"),
            statement_id=x.text(statement, "Id"),
            created=_datetime(x.text(statement, "CreDtTm")),
            period_from=_day(x.text(statement, "FrToDt/FrDtTm")),
            period_to=_day(x.text(statement, "FrToDt/ToDtTm")),
            opening_balance=balances.get("OPBD", balances.get("PRCD")),
            closing_balance=balances.get("CLBD"),
            source_location=loc,
        )

    def result(self, transactions: Iterable[BankTransaction] = ()) -> ParseResult:
        """The ParseResult for what was iterated (pass the transactions if you kept them)."""
        return ParseResult(
            format=self.format or FileFormat.CAMT053,
            transactions=tuple(transactions),
            problems=tuple(self.problems.items),
            statements=tuple(self.statements),
            format_version=self.version,
        )


def _refused(source: str) -> ParseError:
    return ParseError(
        "refused unsafe XML (DTDForbidden): DTDs and entities are not allowed", location="/", source=source
    )


def _datetime(text: str) -> datetime | None:
    """ISO timestamp or None; header timestamps are informative, so a bad one is not fatal."""
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _day(text: str) -> date | None:
    """The date as the bank wrote it: a period end of 23:59:59Z is still that day."""
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def iter_chunks(stream: IO[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """Read a binary file object in chunks (for :func:`parse_camt_stream`)."""
    return iter(lambda: stream.read(size), b"")


def parse_camt_stream(
    chunks: Iterable[bytes], *, source: str = "", max_bytes: int | None = None
) -> ParseResult:
    """Parse camt from byte chunks, collecting every transaction into the result."""
    stream = CamtStream(chunks, source=source, max_bytes=max_bytes)
    return stream.result(list(stream))


def parse_camt(data: bytes, *, source: str = "") -> ParseResult:
    """Parse a camt.053 or camt.054 document held in memory."""
    chunks = (data[i : i + CHUNK] for i in range(0, len(data), CHUNK))
    return parse_camt_stream(chunks, source=source)

"""camt.053 statements and camt.054 notifications, parsed safely and streamed.

Safety: defusedxml's parser refuses any DTD (so no entity-expansion bombs and no external
entities) before a single entity is resolved. Streaming: ``iterparse`` is fed in chunks and each
``Ntry`` is converted and then detached from the tree, so memory stays flat on a 200 MB file; the
:class:`CamtStream` iterator lets an importer consume transactions without holding them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XmlSyntaxError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from syncd.bankfiles.model import (
    BankTransaction,
    FileFormat,
    Fingerprinter,
    ParseResult,
    ProblemLog,
    StatementInfo,
)
from syncd.errors import ParseError
from tests.bankfiles.oracle_camt_entry import EntryContext, Xml, entry_transactions

CHUNK = 64 * 1024
_ROOTS = {"BkToCstmrStmt": FileFormat.CAMT053, "BkToCstmrDbtCdtNtfctn": FileFormat.CAMT054}
_STATEMENTS = {"Stmt", "Ntfctn"}
# statement children kept until the statement ends (everything else is dropped as it completes)
_KEEP = {"Id", "CreDtTm", "FrToDt", "Acct", "Bal"}


class _ChunkReader:
    """A file-like ``read`` over an iterable of byte chunks, enforcing a size limit."""

    def __init__(self, chunks: Iterable[bytes], max_bytes: int | None, source: str) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""
        self._total = 0
        self._max = max_bytes
        self._source = source

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
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]


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
        self._depth = 0
        self._statement: Element | None = None
        self._stmt_loc = ""
        self._stmt_index = 0
        self._ntry_index = 0
        self._ctx: EntryContext | None = None
        self._root_tag = ""

    def _events(self) -> Iterator[tuple[str, Element]]:
        """iterparse events, with XML and safety errors turned into ParseError."""
        events = iterparse(self._reader, events=("start", "end"), forbid_dtd=True)
        while True:
            try:
                item = next(events)
            except StopIteration:
                return
            except XmlSyntaxError as exc:
                line, column = getattr(exc, "position", (0, 0))
                raise ParseError(
                    f"malformed XML: {exc}", location=f"line {line}, column {column}", source=self.source
                ) from exc
            except LookupError as exc:  # expat: unknown encoding in the XML declaration
                raise ParseError(
                    f"unsupported XML encoding: {exc}", location="line 1", source=self.source
                ) from exc
            except DefusedXmlException as exc:
                raise ParseError(
                    f"refused unsafe XML ({type(exc).__name__}): DTDs and entities are not allowed",
                    location="/",
                    source=self.source,
                ) from exc
            yield item

    def __iter__(self) -> Iterator[BankTransaction]:
        for event, elem in self._events():
            # only the top four levels matter here; deeper elements are read from their Ntry
            if event == "start":
                self._depth += 1
                if self._depth <= 3:
                    self._on_start(_local(elem.tag), elem)
            else:
                self._depth -= 1
                if self._depth <= 3:
                    yield from self._on_end(_local(elem.tag), elem)
        if self.format is None or not self.statements:
            raise ParseError("no Stmt or Ntfctn in the document", location="/Document", source=self.source)

    def _on_start(self, local: str, elem: Element) -> None:
        if self._depth == 1:
            self._start_document(elem.tag)
        elif self._depth == 2:
            self.format = _ROOTS.get(local)
            self._root_tag = local
            if self.format is None:
                raise ParseError(
                    f"not a camt.053/054 document (root {local[:40]!r})",
                    location=f"/Document/{local[:40]}",
                    source=self.source,
                )
        elif self._depth == 3 and local in _STATEMENTS:
            self._stmt_index += 1
            self._ntry_index = 0
            self._statement, self._ctx = elem, None
            self._stmt_loc = f"/Document/{self._root_tag}/{local}[{self._stmt_index}]"

    def _on_end(self, local: str, elem: Element) -> Iterator[BankTransaction]:
        statement = self._statement
        if statement is None:
            return
        if self._depth == 3:
            if local == "Ntry":
                self._ntry_index += 1
                if self._ctx is None:
                    account = self._account(statement, self._stmt_loc)
                    self._ctx = EntryContext(account, self._stmt_loc, self._x.text(statement, "Id"))
                loc = f"{self._stmt_loc}/Ntry[{self._ntry_index}]"
                for tx in entry_transactions(self._x, elem, self._ctx, loc, self.problems):
                    yield self._stamp(tx)
            if local not in _KEEP:
                statement.remove(elem)  # the memory-flat part: a finished entry is dropped at once
        elif self._depth == 2 and elem is statement:
            self.statements.append(self._statement_info(statement, self._stmt_loc))
            statement.clear()
            self._statement = None

    def _start_document(self, tag: str) -> None:
        if _local(tag) != "Document":
            raise ParseError(
                f"not a camt.053/054 document (root {_local(tag)[:40]!r})", location="/", source=self.source
            )
        namespace = tag[1 : tag.find("}")] if tag.startswith("{") else ""
        self.version = namespace.rsplit(":", 1)[-1] if "camt.05" in namespace else ""
        self._x = Xml(namespace, self.source)

    def _account(self, statement: Element, loc: str) -> str:
        x = self._x
        account = x.text(statement, "Acct/Id/IBAN") or x.text(statement, "Acct/Id/Othr/Id")
        if not account:
            raise ParseError(
                "statement without account (Acct/Id)", location=f"{loc}/Acct", source=self.source
            )
        return account

    def _statement_info(self, statement: Element, loc: str) -> StatementInfo:
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

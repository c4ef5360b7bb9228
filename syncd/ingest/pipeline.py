"""A big camt file parsed in a child process while the importing process writes to the database.

The parse is most of an import's CPU (≈ 150 µs a transaction against ≈ 30 µs of row work and
≈ 35 µs in PostgreSQL), and a serial import leaves a second core idle. :class:`ParsedInChild`
runs :class:`~syncd.bankfiles.camt.CamtStream` in a ``spawn`` child (a fresh interpreter: no
inherited database connection, no forked locks) that sends the transactions back in pickled
batches through a pipe; the importer iterates it like the stream itself, so with two free cores
the wall time approaches the parser's alone. The pipe is the back-pressure: the child blocks on
a full pipe, so at most about two batches are in flight and memory stays flat.

Nothing else changes: the same parser with the same safety settings, its problems and result
handed over as they are, a :class:`~syncd.errors.ParseError` in the child raised here with its
message and location (the import rolls back and quarantines the file as before), and any other
failure of the child raised as :class:`ParserProcessError` (rolled back and propagated, as an
unexpected error in the parser is). The child never outlives the import: closing the stream
(the importer always does) ends it, and a child whose importer died gets a broken pipe on its
next send and exits.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from syncd.bankfiles import CamtStream, iter_chunks
from syncd.bankfiles.model import BankTransaction, FileFormat, ParseResult, ProblemLog
from syncd.errors import ParseError, SyncdError

JOIN_SECONDS = 5.0
"""How long closing waits for the child to end after terminating it, before killing it."""


class ParserProcessError(SyncdError):
    """The parser's child process failed other than with a ParseError (or vanished)."""


def _parse(path: str, source: str, max_bytes: int | None, batch_size: int, send: Any) -> None:
    """The child: parse ``path`` and send ``("batch", transactions, new problems, format, bytes
    read)`` messages, then ``("end", result)``, or ``("parse-error", reason, location)`` or
    ``("crash", description)``."""
    try:
        with Path(path).open("rb") as handle:
            stream = CamtStream(iter_chunks(handle), source=source, max_bytes=max_bytes)
            told = 0
            batch: list[BankTransaction] = []

            def flush() -> None:
                nonlocal told, batch
                problems = stream.problems.items[told:]
                told += len(problems)
                send.send_bytes(
                    pickle.dumps(("batch", batch, problems, stream.format, handle.tell()), protocol=5)
                )
                batch = []

            for tx in stream:
                batch.append(tx)
                if len(batch) >= batch_size:
                    flush()
            flush()
            send.send_bytes(pickle.dumps(("end", stream.result()), protocol=5))
    except BrokenPipeError:  # the importer is gone: nothing to tell
        return
    except ParseError as exc:
        _tell(send, ("parse-error", exc.reason, exc.location))
    except Exception as exc:  # noqa: BLE001 - reported to the importer, which raises it there
        _tell(send, ("crash", f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()


def _tell(send: Any, message: tuple[Any, ...]) -> None:
    try:
        send.send_bytes(pickle.dumps(message, protocol=5))
    except (BrokenPipeError, OSError):  # the importer is gone
        return


class ParsedInChild:
    """A camt file's transactions, parsed in a child process; a context manager that ends it.

    Iterate it once, to the end; ``problems`` grow as batches arrive and ``result()`` is complete
    after the end, as with :class:`~syncd.bankfiles.camt.CamtStream`. ``position`` is how many
    bytes the child had read at the last batch (for progress reports).
    """

    def __init__(self, path: Path, *, source: str, max_bytes: int | None, batch_size: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.source = source
        self.problems = ProblemLog(source)
        self.format: FileFormat | None = None
        self.position = 0
        self._result: ParseResult | None = None
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_parse,
            args=(str(path), source, max_bytes, batch_size, send),
            name="syncd-camt-parser",
            daemon=True,  # ended with this process at the latest
        )
        try:
            self._process.start()
        except BaseException:
            self._receive.close()
            raise
        finally:
            send.close()  # the child holds its own end; ours would hide its exit (no EOF)

    def __enter__(self) -> ParsedInChild:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[BankTransaction]:
        while self._result is None:
            message = self._next()
            kind = message[0]
            if kind == "batch":
                _, transactions, problems, fmt, position = message
                self.problems.items.extend(problems)
                self.format, self.position = fmt, position
                yield from transactions
            elif kind == "end":
                self._result = message[1]
            elif kind == "parse-error":
                raise ParseError(message[1], location=message[2], source=self.source)
            else:
                raise ParserProcessError(f"the camt parser process failed: {message[1]}")

    def _next(self) -> tuple[Any, ...]:
        try:
            message: tuple[Any, ...] = pickle.loads(self._receive.recv_bytes())  # noqa: S301 - our own child
        except EOFError as exc:
            raise ParserProcessError(
                f"the camt parser process ended without a result (exit code {self._process.exitcode})"
            ) from exc
        return message

    def result(self) -> ParseResult:
        """The parse result (transactions not kept); before the end, what is known so far."""
        if self._result is not None:
            return self._result
        return ParseResult(format=self.format or FileFormat.CAMT053, problems=tuple(self.problems.items))

    def close(self) -> None:
        """End the child (at once if it is still parsing) and release the pipe."""
        self._receive.close()
        process = self._process
        if self._result is not None:
            process.join(JOIN_SECONDS)  # it has told everything and is exiting
        if process.is_alive():
            process.terminate()
        process.join(JOIN_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
        process.close()

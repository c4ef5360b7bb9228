"""Benchmark: stream-parse a ~200 MB camt.053 and report throughput and peak RSS.

Run on demand (pytest does not collect ``bench_*.py``)::

    .venv/bin/python -m tests.bench.bench_camt_import [--mb 200] [--no-oracle]

The statement is generated to a temporary file in a streamed way (never held in memory), then read
back in 64 KiB chunks through :class:`~syncd.bankfiles.CamtStream`, consuming transactions one by
one as an importer writing them to the database would. Target: peak RSS ≤ 250 MB. Printed beside
it, in CPU seconds (the machine is shared): a bare lxml ``iterparse`` loop that only counts
``Ntry`` (the ceiling for any parser on libxml2) and the old defusedxml parser, kept as the test
oracle in :mod:`tests.bankfiles.oracle_camt`.

Measured 2026-11-30 under a load average of about 13 (``--mb 20``, 18,600 transactions, CPU
seconds): lxml parser 5,748 tx/s; old defusedxml parser 4,157 tx/s (new / old 1.38); bare lxml
``iterparse`` counting ``Ntry`` 58,499 tx/s (parser / ceiling 0.10); peak RSS 32 MiB. Where the
new parser's time goes (cProfile): building the per-element child index and the path look-ups
(≈ 45 elements and ≈ 37 look-ups per entry) about half, the entry's dataclasses, references,
tokens and fingerprint (``dataclasses.replace`` alone ≈ 8 %) most of the rest.

Then (fingerprint set in place on the parser's own fresh transactions, single-element paths walked
without node lists), measured the same day beside the full test suite (``--mb 20``): 7,240 tx/s;
old parser 4,699 (1.54); ceiling 59,503 (parser / ceiling 0.12); peak RSS 32 MiB. Side by side in
alternation with the previous lxml parser: 7,447 and 7,427 tx/s against 6,246 and 6,370 (1.18 times).
The lxml floor of an entry (iterparse plus reading every element's tag and text) is ≈ 32 µs
against ≈ 160 µs for the whole parse of one: the rest is the Python mapping, about a third of it
still the child index and look-ups. Indexing every descendant path in one walk per ``Ntry``
measured slower (lxml creates a proxy per element, and nested bases walk their subtree again).

Then (tags mapped to index keys once per document, ``Xml.text`` walking its path inline, the
reference checks with precompiled patterns and a Luhn sum without python-stdnum's per-digit
``index()``), 2026-11-30 under a load average of 15-18: the previous and the new parser run in
alternation on one 10 MB file, 161-181 against 141-162 µs a transaction (≈ 11 % less CPU);
``--mb 20``: 6,228 tx/s against a bare lxml loop of 48,850 (parser / ceiling 0.13; both slowed
by the load: the ceiling measured 59,503 on a calmer machine). What is left per transaction
(cProfile): about 30 path look-ups and 21 child indexes (≈ 45 % of it), building the frozen
``BankTransaction`` (≈ 8 µs for its 34 fields) and its fingerprint (≈ 5 µs, two SHA-256), the
reference classification and tokens, and libxml2 itself (≈ 17 µs). ``str.translate`` with a
table, tried for normalising, measured 2-5 µs a string: slower than the regular expression.

Then each entry is read once into plain tuples by a compiled reader over libxml2's tree
(``syncd/bankfiles/_camtflat.c``; :func:`syncd.bankfiles.camt_tree.flatten_py` is the pure-Python
fallback and reference) and paths walk those tuples. 2026-11-30, calm machine: ``--mb 30`` went
from 13,172 tx/s (76 µs a transaction) to 18,789-18,989 tx/s (53 µs); ``--mb 200``: 18,445 tx/s,
pure-Python reader 12,579, bare lxml loop 77,888 (parser / ceiling 0.24, was 0.17); peak RSS 59 MiB.
What is left per transaction: libxml2 and the iterparse events (≈ 13 µs), the compiled walk
(≈ 5 µs), path look-ups, the frozen dataclasses, references, tokens and the fingerprint.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from syncd.bankfiles import CamtStream, camt_tree, iter_chunks
from syncd.domain.references import make_ocr
from tests.bench.summary import Figure, emit

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-11-26T05:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>BENCH-1</Id>
      <Acct><Id><IBAN>SE3560000000000123456789</IBAN></Id><Ccy>SEK</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="SEK">0.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-01</Dt></Dt></Bal>
"""
TAIL = """    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def _detail(i: int, amount: str) -> str:
    return f"""          <TxDtls>
            <Refs><AcctSvcrRef>BGC-{i:09d}</AcctSvcrRef><EndToEndId>E2E-{i:09d}</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="SEK">{amount}</Amt></TxAmt></AmtDtls>
            <RltdPties>
              <Dbtr><Nm>Kund {i} Aktiebolag</Nm>
                <PstlAdr><StrtNm>Storgatan</StrtNm><BldgNb>{i % 90 + 1}</BldgNb><PstCd>41101</PstCd>
                <TwnNm>Göteborg</TwnNm><Ctry>SE</Ctry></PstlAdr></Dbtr>
              <DbtrAcct><Id><Othr><Id>{5000000 + i % 99999}</Id>
                <SchmeNm><Prtry>BGNR</Prtry></SchmeNm></Othr></Id></DbtrAcct>
            </RltdPties>
            <RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>
              <Ref>{make_ocr(str(10000 + i))}</Ref></CdtrRefInf></Strd>
              <Ustrd>Betalning faktura {10000 + i} tack för snabb leverans</Ustrd></RmtInf>
          </TxDtls>
"""


def _entry(i: int, month: int = 11) -> str:
    day = f"2026-{month:02d}-{i % 28 + 1:02d}"
    if i % 10 == 0:  # every tenth entry is a bankgiro batch of three payments
        details = "".join(_detail(i * 10 + k, "100.00") for k in range(3))
        head = '<Btch><NbOfTxs>3</NbOfTxs><TtlAmt Ccy="SEK">300.00</TtlAmt></Btch>'
        amount = "300.00"
    else:
        details, head, amount = _detail(i * 10, f"{i % 5000 + 1}.50"), "", f"{i % 5000 + 1}.50"
    return f"""      <Ntry>
        <Amt Ccy="SEK">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>
        <AcctSvcrRef>HB-{i:010d}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>{head}
{details}        </NtryDtls>
      </Ntry>
"""


def generate(path: Path, megabytes: int, *, month: int = 11, first: int = 0) -> int:
    """Write a statement of about ``megabytes`` MB; returns the number of entries.

    ``month`` (of 2026) dates the entries; ``first`` numbers them, and so their bank references:
    two files with different ``first`` share no transaction.
    """
    target = megabytes * 1024 * 1024
    written = 0
    entries = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD.replace("BENCH-1", f"BENCH-{month}-{first}"))
        while written < target:
            block = "".join(_entry(first + entries + k, month) for k in range(500))
            out.write(block)
            written += len(block.encode())
            entries += 500
        out.write(TAIL)
    return entries


def _parse(stream_class: type, path: Path) -> tuple[int, float, object]:
    """Transactions, CPU seconds and the stream of one pass with ``stream_class``."""
    started = time.process_time()
    count = 0
    with path.open("rb") as stream_file:
        stream = stream_class(iter_chunks(stream_file), source=path.name, max_bytes=path.stat().st_size + 1)
        for _tx in stream:
            count += 1
    return count, time.process_time() - started, stream


def _ceiling(path: Path) -> tuple[int, float]:
    """A bare lxml iterparse loop that only counts ``Ntry`` (and drops each): what libxml2 costs."""
    from lxml import etree

    started = time.process_time()
    count = 0
    for _event, elem in etree.iterparse(
        str(path), events=("end",), tag="{*}Ntry", resolve_entities=False, no_network=True, load_dtd=False
    ):
        count += 1
        elem.getparent().remove(elem)
    return count, time.process_time() - started


@contextmanager
def _python_reader() -> Iterator[None]:
    """Read entries with the pure-Python reader, as where syncd was built without a C compiler."""
    compiled = camt_tree._compiled
    camt_tree._compiled = lambda: None  # type: ignore[assignment]
    try:
        yield
    finally:
        camt_tree._compiled = compiled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the generated statement")
    parser.add_argument("--no-oracle", action="store_true", help="skip the old (defusedxml) parser")
    parser.add_argument("--quick", action="store_true", help="a 5 MB file, no oracle (for make bench)")
    args = parser.parse_args()
    if args.quick:
        args.mb, args.no_oracle = 5, True
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.camt053.xml"
        started = time.perf_counter()
        entries = generate(path, args.mb)
        size = path.stat().st_size
        print(f"generated {size / 1e6:.1f} MB, {entries} entries in {time.perf_counter() - started:.1f} s")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        count, elapsed, stream = _parse(CamtStream, path)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        result = stream.result()  # type: ignore[attr-defined]
        rate = count / elapsed
        reader = "compiled" if camt_tree.compiled_reader() else "pure-Python"
        print(
            f"lxml parser ({reader} reader):  {count} transactions in {elapsed:.1f} s CPU: {rate:,.0f} tx/s, "
            f"{size / 1e6 / elapsed:.1f} MB/s (load average {os.getloadavg()[0]:.2f})"
        )
        if camt_tree.compiled_reader():
            with _python_reader():
                py_count, py_elapsed, _ = _parse(CamtStream, path)
            print(f"  the same with the pure-Python reader: {py_count / py_elapsed:,.0f} tx/s")
            figures.append(Figure("parser, pure-Python reader", round(py_count / py_elapsed), "tx/s (CPU)"))
        print(f"problems: {len(result.problems)}; statements: {len(result.statements)}")
        print(f"peak RSS: {peak:.0f} MiB (before parsing: {rss_before:.0f} MiB); target ≤ 250 MiB")
        ntry, bare = _ceiling(path)
        print(
            f"bare lxml iterparse counting {ntry} Ntry: {bare:.1f} s CPU, {count / bare:,.0f} tx/s (the ceiling)"
        )
        print(f"  parser / ceiling: {rate / (count / bare):.2f}")
        figures += [
            Figure("parser", round(rate), "tx/s (CPU)"),
            Figure("bare lxml iterparse", round(count / bare), "tx/s (CPU)"),
            Figure("parser / lxml ceiling", round(rate / (count / bare), 3), "ratio"),
            Figure("peak RSS", round(peak), "MiB", "<= 250"),
            Figure("file size", args.mb, "MB"),
        ]
        if not args.no_oracle:
            from tests.bankfiles.oracle_camt import CamtStream as OldStream

            old_count, old_elapsed, _ = _parse(OldStream, path)
            old_rate = old_count / old_elapsed
            print(
                f"old defusedxml parser: {old_count} transactions in {old_elapsed:.1f} s CPU: {old_rate:,.0f} tx/s"
            )
            print(f"  lxml parser / old parser: {rate / old_rate:.2f}")
            figures.append(Figure("parser / old defusedxml parser", round(rate / old_rate, 2), "ratio"))
    emit("bench_camt_import", figures)
    return 0 if peak <= 250 else 1


if __name__ == "__main__":
    sys.exit(main())

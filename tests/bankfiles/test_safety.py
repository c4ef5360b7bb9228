"""Hostile or oversized input is refused with a ParseError, never expanded or fetched."""

from __future__ import annotations

import pytest

from syncd.bankfiles import FileFormat, parse, parse_camt_stream
from syncd.errors import ParseError

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Acct><Id><IBAN>&lol4;</IBAN></Id></Acct></Stmt></BkToCstmrStmt></Document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><Ntfctn>
<Acct><Id><IBAN>SE1</IBAN></Id></Acct><Ntry><Amt Ccy="SEK">1.00</Amt><AddtlNtryInf>&xxe;</AddtlNtryInf></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"""


def test_billion_laughs_is_refused_before_any_expansion():
    with pytest.raises(ParseError, match="unsafe XML") as caught:
        parse(BILLION_LAUGHS, "bomb.xml", fmt=FileFormat.CAMT053)
    assert caught.value.location == "/"


def test_external_entity_is_refused_and_never_read():
    with pytest.raises(ParseError, match="unsafe XML") as caught:
        parse(EXTERNAL_ENTITY, "xxe.xml")
    assert "root:" not in str(caught.value)


def test_file_over_the_size_limit_is_refused_with_its_byte_offset():
    with pytest.raises(ParseError, match="over the limit") as caught:
        parse(b"01BGMAX" + b" " * 100, "big.txt", max_bytes=50)
    assert caught.value.location == "byte 50"


def test_streamed_camt_over_the_size_limit_is_refused_while_reading(golden_bytes):
    data = golden_bytes("camt053_batch_txdtls.xml")
    chunks = (data[i : i + 100] for i in range(0, len(data), 100))
    with pytest.raises(ParseError, match="larger than the limit"):
        parse_camt_stream(chunks, max_bytes=1000)


def test_malformed_xml_reports_line_and_column():
    with pytest.raises(ParseError) as caught:
        parse(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'>\n<BkToCstmrStmt>", "x.xml")
    assert caught.value.location is not None
    assert caught.value.location.startswith("line 2")


def test_unknown_bytes_are_an_unrecognised_format():
    with pytest.raises(ParseError, match="unrecognised"):
        parse(b"\x00\x01hello", "x.bin")

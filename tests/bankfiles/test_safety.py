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


CAMT_BODY = (
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><Ntfctn>'
    b'<Acct><Id><IBAN>SE1</IBAN></Id></Acct><Ntry><Amt Ccy="SEK">1.00</Amt></Ntry>'
    b"</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
)


@pytest.mark.parametrize(
    "prolog",
    [
        b'<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/camt.dtd">',  # an external DTD, never fetched
        b'<!DOCTYPE d [<!ENTITY % e SYSTEM "file:///etc/passwd"> %e;]>',  # an external parameter entity
        b'<!DOCTYPE d [<!ENTITY % a "x"><!ENTITY % b "%a;%a;%a;"> %b;]>',  # a parameter-entity bomb
        b"<!DOCTYPE Document>",  # even a harmless one: bank files have none
    ],
    ids=["external-dtd", "external-parameter-entity", "parameter-entity-bomb", "bare-doctype"],
)
def test_any_doctype_is_refused_as_unsafe_xml(prolog):
    data = b'<?xml version="1.0"?>\n' + prolog + b"\n" + CAMT_BODY
    with pytest.raises(ParseError, match="unsafe XML") as caught:
        parse(data, "dtd.xml", fmt=FileFormat.CAMT054)
    assert caught.value.location == "/"


def test_a_doctype_is_refused_even_when_the_file_arrives_a_byte_at_a_time():
    data = b'<?xml version="1.0"?>\n' + b'<!DOCTYPE d [<!ENTITY x "y">]>' + CAMT_BODY.replace(b"SE1", b"&x;")
    with pytest.raises(ParseError, match="unsafe XML"):
        parse_camt_stream(data[i : i + 1] for i in range(len(data)))


def test_an_undefined_entity_is_malformed_xml_at_its_line():
    data = CAMT_BODY.replace(b"<Ntry>", b"\n<Ntry>").replace(b"SE1", b"&x;")
    with pytest.raises(ParseError, match="malformed XML") as caught:
        parse(data, "entity.xml", fmt=FileFormat.CAMT054)
    assert caught.value.location is not None
    assert caught.value.location.startswith("line 1")


def test_an_encoding_nobody_knows_is_refused_as_such():
    data = b'<?xml version="1.0" encoding="klingon"?>\n' + CAMT_BODY
    with pytest.raises(ParseError, match="unsupported XML encoding") as caught:
        parse(data, "klingon.xml", fmt=FileFormat.CAMT054)
    assert caught.value.location == "line 1"


def test_a_truncated_document_that_is_not_camt_is_named_as_such():
    with pytest.raises(ParseError, match="not a camt"):
        parse_camt_stream([b'<Document xmlns="urn:x"><CstmrCdtTrfInitn><GrpHdr>'])

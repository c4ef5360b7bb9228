"""The compiled camt reader (C, over libxml2's tree) reads every element as the Python reader does.

The Python reader (:func:`syncd.bankfiles.camt_tree.flatten_py`, through lxml's API) is the
reference. Compared element by element on documents made to hit the corners (namespaces, CDATA,
mixed content, attributes, entities, comments, depth) and file by file on every fixture, sample,
generated statement and damaged fixture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from syncd.bankfiles import ParseResult, camt_tree, parse_camt
from syncd.errors import ParseError
from tests.bankfiles.test_camt_oracle import CAMT_FIXTURES, SAMPLE_FILES
from tests.bankfiles.test_fuzz import mutated
from tests.bench.bench_camt_import import generate

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _parse_with(compiled: bool, data: bytes) -> ParseResult | str:
    with pytest.MonkeyPatch.context() as patch:
        if not compiled:
            patch.setattr(camt_tree, "_compiled", lambda: None)
        try:
            return parse_camt(data, source="x.xml")
        except ParseError as exc:
            return f"ParseError at {exc.location}: {exc}"


def _read_alike(data: bytes) -> ParseResult | str:
    compiled, python = _parse_with(True, data), _parse_with(False, data)
    assert compiled == python
    return compiled


def _flat_both(xml: str, namespace: str = NS, **options: Any) -> tuple[Any, Any]:
    parser = etree.XMLParser(**options)
    root = etree.fromstring(xml.encode(), parser)
    x = camt_tree.Xml(namespace, "x.xml")
    keys = camt_tree._Keys(x.prefix)
    return x.node(root), camt_tree.flatten_py(root, keys)


def test_the_compiled_reader_is_built_and_in_use() -> None:
    # `make` builds it (gcc is on every machine syncd is built on); a silent fallback would
    # leave camt imports at three quarters of their speed and these comparisons testing nothing
    assert camt_tree.compiled_reader()


@pytest.mark.parametrize(
    "xml",
    [
        f'<Ntry xmlns="{NS}"><Nm><![CDATA[]]></Nm><Nm></Nm><Nm><![CDATA[]]><![CDATA[ ]]></Nm></Ntry>',
        f'<Ntry xmlns="{NS}"><Amt Ccy="SEK">12.50</Amt><Sts><Cd>BOOK</Cd></Sts></Ntry>',
        f'<Ntry xmlns="{NS}"><Amt Ccy="SEK"/><Amt Ccy="EUR">1</Amt><AddtlNtryInf>  x  </AddtlNtryInf></Ntry>',
        f'<Ntry xmlns="{NS}" xmlns:o="urn:other"><o:Amt>1</o:Amt><Amt xmlns="">2</Amt><Amt>3</Amt></Ntry>',
        f'<c:Ntry xmlns:c="{NS}"><c:Nm>Kund &amp; Söner &#x41;B</c:Nm><c:Nm/></c:Ntry>',
        f'<Ntry xmlns="{NS}"><Nm>före<b/>efter</Nm><Nm><![CDATA[<rå>]]> och text</Nm></Ntry>',
        f'<Ntry xmlns="{NS}"><Amt xmlns:p="urn:p" p:Ccy="USD" Ccy="SEK">1</Amt></Ntry>',
        f'<Ntry xmlns="{NS}">{"<A>" * 200}djup{"</A>" * 200}</Ntry>',
        "<Ntry><Amt Ccy='SEK'>1</Amt><Ustrd>no namespace at all</Ustrd></Ntry>",
        f'<Ntry xmlns="{NS}"><Ustrd>一二三 €</Ustrd><Ustrd>{"x" * 5000}</Ustrd></Ntry>',
    ],
    ids=[
        "empty-text",
        "plain",
        "repeated",
        "namespaces",
        "prefixed",
        "mixed-cdata",
        "attributes",
        "deep",
        "no-ns",
        "long",
    ],
)
def test_the_compiled_reader_builds_the_same_node_as_lxml_api(xml: str) -> None:
    compiled, python = _flat_both(xml)
    assert compiled == python


def test_a_document_without_namespace_keys_namespaced_elements_so_no_path_names_them() -> None:
    xml = '<Ntry xmlns:o="urn:o"><o:Amt>1</o:Amt><Amt>2</Amt><Nm xmlns="urn:n">x</Nm></Ntry>'
    compiled, python = _flat_both(xml, namespace="")
    assert compiled == python
    assert compiled[2] is not None
    assert sorted(compiled[2]) == ["Amt", "{{urn:n}Nm", "{{urn:o}Amt"]


def test_comments_and_processing_instructions_are_left_out_as_the_python_reader_does() -> None:
    xml = f'<Ntry xmlns="{NS}"><!-- c --><Nm><?pi x?>text</Nm><Nm>a<!-- c -->b</Nm></Ntry>'
    compiled, python = _flat_both(xml, remove_comments=False, remove_pis=False)
    assert compiled == python
    assert compiled[2] is not None
    assert [node[0] for node in compiled[2]["Nm"]] == [None, "a"]


def test_an_entity_reference_sends_the_element_to_the_python_reader() -> None:
    xml = f'<!DOCTYPE Ntry [<!ENTITY e "x">]><Ntry xmlns="{NS}"><Nm>a&e;b</Nm><Amt Ccy="&e;">1</Amt></Ntry>'
    compiled, python = _flat_both(xml, resolve_entities=False)
    assert compiled == python


def test_the_compiled_reader_refuses_what_is_not_an_lxml_element() -> None:
    flat = camt_tree._compiled()
    with pytest.raises(TypeError, match="lxml element"):
        flat.flatten("<Ntry/>", "")


@pytest.mark.parametrize("path", CAMT_FIXTURES + SAMPLE_FILES, ids=lambda p: p.name)
def test_every_camt_fixture_and_sample_reads_the_same_with_both_readers(path: Path) -> None:
    result = _read_alike(path.read_bytes())
    assert isinstance(result, ParseResult)
    assert result.transactions


def test_a_generated_statement_with_batches_reads_the_same_with_both_readers(tmp_path: Path) -> None:
    path = tmp_path / "statement.xml"
    generate(path, 1)
    result = _read_alike(path.read_bytes())
    assert isinstance(result, ParseResult)
    assert len(result.transactions) > 1000


@pytest.mark.parametrize("path", CAMT_FIXTURES, ids=lambda p: p.name)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_file_reads_the_same_with_both_readers(path: Path, data: st.DataObject) -> None:
    _read_alike(data.draw(mutated(path.read_bytes())))

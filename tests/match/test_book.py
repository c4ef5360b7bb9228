"""The book's sum index: which customers a payer line is worth scoring, as invoices get paid."""

from __future__ import annotations

from decimal import Decimal

from match_builders import invoice

from syncd.match.book import SUM_INDEX_MAX, Book


def _ids(found: set[str]) -> set[str]:
    return {customer.removeprefix("cust-") for customer in found}


def test_a_customer_is_found_by_any_sum_of_its_open_invoices_and_a_shared_name_word() -> None:
    book = Book(
        "bolaget-ab",
        [
            invoice(1, "1000.00", "Bergström Bygg AB"),
            invoice(2, "250.00", "Bergström Bygg AB"),
            invoice(3, "1000.00", "Lindqvist Måleri AB"),
        ],
    )
    assert _ids(book.customers_paying("bergstrom bygg", Decimal("1250.00"))) == {"bergström-bygg-ab"}
    assert _ids(book.customers_paying("bergstrom", Decimal("250"))) == {"bergström-bygg-ab"}
    assert _ids(book.customers_paying("bergstrom lindqvist", Decimal("1000.00"))) == {
        "bergström-bygg-ab",
        "lindqvist-måleri-ab",
    }
    assert book.customers_paying("bergstrom bygg", Decimal("1249.99")) == set()
    assert book.customers_paying("nordin", Decimal("1000.00")) == set()  # no word in common


def test_what_is_left_after_a_partial_payment_is_what_the_customer_is_found_by() -> None:
    book = Book("bolaget-ab", [invoice(1, "1000.00"), invoice(2, "250.00")])
    assert book.customers_paying("bergstrom bygg", Decimal("1250.00"))
    book.consume("bolaget-ab-inv-1", Decimal("400.00"))
    assert book.customers_paying("bergstrom bygg", Decimal("600.00"))
    assert book.customers_paying("bergstrom bygg", Decimal("850.00"))
    assert not book.customers_paying("bergstrom bygg", Decimal("1250.00"))
    book.consume("bolaget-ab-inv-1", Decimal("600.00"))
    assert not book.customers_paying("bergstrom bygg", Decimal("600.00"))
    assert book.customers_paying("bergstrom bygg", Decimal("250.00"))


def test_a_customer_with_more_open_invoices_than_the_index_holds_is_always_found_until_paid_down() -> None:
    many = [invoice(k, "100.00", "Svensson Bygg AB") for k in range(SUM_INDEX_MAX + 1)]
    book = Book("bolaget-ab", [*many, invoice(99, "7.00", "Svensson El AB")])
    assert _ids(book.customers_paying("svensson", Decimal("7.00"))) == {"svensson-bygg-ab", "svensson-el-ab"}
    assert _ids(book.customers_paying("svensson", Decimal("123456.78"))) == {"svensson-bygg-ab"}
    book.consume(many[0].bokio_id, Decimal("100.00"))  # now as many as the index holds
    assert _ids(book.customers_paying("svensson", Decimal("7.00"))) == {"svensson-el-ab"}
    assert _ids(book.customers_paying("svensson", Decimal(100 * SUM_INDEX_MAX))) == {"svensson-bygg-ab"}
    assert not book.customers_paying("svensson", Decimal(100 * SUM_INDEX_MAX + 100))

"""Payments, settlements, credit notes and tags on top of :class:`BaseBooks`.

Undocumented by Bokio and decided here: payments need a published invoice; deleting a
*recorded* payment or settlement is allowed and mints a reversing journal entry; a second
``record`` is 400 ``validation-error``; ``POST /invoices/{id}/credit`` credits the whole invoice
as a draft; credit-note numbers are ``CN-<n>``. With the company's reading
``record_requires_recorded_invoice``, recording a payment or settlement on an invoice that was never
recorded is refused like any other record Bokio cannot act on.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from syncd.sandbox import fieldtypes, journal, rules
from syncd.sandbox import validation as v
from syncd.sandbox.books import BaseBooks
from syncd.sandbox.errors import (
    ApiError,
    FieldError,
    cannot_act,
    not_allowed,
    not_found,
    price_plan_required,
    validation,
)
from syncd.sandbox.state import Json, document_amounts, render, render_journal_entry, store_totals


class Books(BaseBooks):
    """All business operations of one company (see :mod:`syncd.sandbox.books`)."""

    # ----- payments --------------------------------------------------------------------------
    def create_payment(self, invoice_id: str, body: Json) -> Json:
        """POST /invoices/{id}/payments."""
        self._published(invoice_id)
        self._raise(v.payment_errors(body, self.company))
        payment: Json = {
            "id": self.new_id(),
            "invoiceId": invoice_id,
            "date": body["date"],
            "sumBaseCurrency": Decimal(body["sumBaseCurrency"]),
            "bookkeepingAccountNumber": body.get("bookkeepingAccountNumber", 1930),
            "journalEntryRef": None,
        }
        self.company.payments.setdefault(invoice_id, {})[payment["id"]] = payment
        return render(payment)

    def payments(self, invoice_id: str) -> list[Json]:
        self.invoice(invoice_id)
        return [render(p) for p in self.company.payments.get(invoice_id, {}).values()]

    def payment(self, invoice_id: str, payment_id: str) -> Json:
        self.invoice(invoice_id)
        found = self.company.payments.get(invoice_id, {}).get(payment_id)
        if found is None:
            raise not_found("invoice payment", payment_id)
        return found

    def record_payment(self, invoice_id: str, payment_id: str) -> Json:
        """POST …/payments/{id}/record: once."""
        payment = self.payment(invoice_id, payment_id)
        if payment["journalEntryRef"] is not None:
            raise cannot_act("invoice payment", payment_id)
        self._require_recorded_invoice(invoice_id, "invoice payment", payment_id)
        number = self.invoice(invoice_id)["invoiceNumber"]
        lines = journal.payment_lines(payment["bookkeepingAccountNumber"], payment["sumBaseCurrency"])
        entry = self.mint_entry(f"Inbetalning faktura {number}", payment["date"], lines)
        payment["journalEntryRef"] = {"id": entry["id"]}
        return render(payment)

    def delete_payment(self, invoice_id: str, payment_id: str) -> None:
        """DELETE …/payments/{id}; a recorded payment's entry is reversed."""
        payment = self.payment(invoice_id, payment_id)
        if payment["journalEntryRef"] is not None:
            self.reverse_entry(payment["journalEntryRef"]["id"], self.today().isoformat())
        del self.company.payments[invoice_id][payment_id]

    # ----- settlements -----------------------------------------------------------------------
    def create_settlement(self, invoice_id: str, body: Json) -> Json:
        """POST /invoices/{id}/settlements."""
        self._published(invoice_id)
        self._raise(v.settlement_errors(body))
        details = dict(body["invoiceSettlementDetails"])
        details["sumBaseCurrency"] = Decimal(details["sumBaseCurrency"])
        settlement: Json = {
            "id": self.new_id(),
            "invoiceId": invoice_id,
            "type": body["type"],
            "invoiceSettlementDetails": details,
            "journalEntryRef": None,
        }
        self.company.settlements.setdefault(invoice_id, {})[settlement["id"]] = settlement
        return render(settlement)

    def settlements(self, invoice_id: str) -> list[Json]:
        self.invoice(invoice_id)
        return [render(s) for s in self.company.settlements.get(invoice_id, {}).values()]

    def settlement(self, invoice_id: str, settlement_id: str) -> Json:
        self.invoice(invoice_id)
        found = self.company.settlements.get(invoice_id, {}).get(settlement_id)
        if found is None:
            raise not_found("invoice settlement", settlement_id)
        return found

    def record_settlement(self, invoice_id: str, settlement_id: str) -> Json:
        """POST …/settlements/{id}/record: once."""
        settlement = self.settlement(invoice_id, settlement_id)
        if settlement["journalEntryRef"] is not None:
            raise cannot_act("invoice settlement", settlement_id)
        self._require_recorded_invoice(invoice_id, "invoice settlement", settlement_id)
        details = settlement["invoiceSettlementDetails"]
        lines = journal.settlement_lines(settlement["type"], details, self.company.readings.settlement_sign)
        number = self.invoice(invoice_id)["invoiceNumber"]
        entry = self.mint_entry(f"Avräkning ({settlement['type']}) faktura {number}", details["date"], lines)
        settlement["journalEntryRef"] = {"id": entry["id"]}
        return render(settlement)

    def delete_settlement(self, invoice_id: str, settlement_id: str) -> None:
        """DELETE …/settlements/{id}; a recorded settlement's entry is reversed."""
        settlement = self.settlement(invoice_id, settlement_id)
        if settlement["journalEntryRef"] is not None:
            self.reverse_entry(settlement["journalEntryRef"]["id"], self.today().isoformat())
        del self.company.settlements[invoice_id][settlement_id]

    def _require_recorded_invoice(self, invoice_id: str, resource: str, value: str) -> None:
        """Under ``record_requires_recorded_invoice``: no record on an invoice never recorded."""
        invoice = self.invoice(invoice_id)
        if self.company.readings.record_requires_recorded_invoice and invoice["journalEntryRef"] is None:
            error = cannot_act(resource, value)
            error.errors.append(
                FieldError(
                    "#", f"Invoice {invoice['invoiceNumber']} is not recorded; record the invoice first"
                )
            )
            raise error

    def currency_settlement_sum(self, invoice_id: str) -> Decimal:
        """The ``sumBaseCurrency`` that closes the invoice's remaining difference (sign-aware)."""
        return rules.currency_settlement_sum(
            self.remaining(invoice_id), self.company.readings.settlement_sign
        )

    # ----- credit notes ----------------------------------------------------------------------
    def credit_invoice(self, invoice_id: str) -> Json:
        """POST /invoices/{id}/credit: a draft credit note for the whole invoice."""
        invoice = self._published(invoice_id)
        note: Json = {
            "id": self.new_id(),
            "invoiceRef": {"id": invoice_id, "invoiceNumber": invoice["invoiceNumber"]},
            "customerRef": copy.deepcopy(invoice["customerRef"]),
            "contactDetailRef": copy.deepcopy(invoice["contactDetailRef"]),
            "invoiceNumber": None,
            **{
                k: invoice[k]
                for k in ("orderNumberReference", "projectReference", "buyerReference", "contractReference")
            },
            "currency": invoice["currency"],
            "currencyRate": invoice["currencyRate"],
            "totalAmount": invoice["totalAmount"],
            "totalTax": invoice["totalTax"],
            "paidAmount": Decimal(0),
            "status": "draft",
            "creditDate": self.today().isoformat(),
            "dueDate": self.today().isoformat(),
            "publishedDateTime": None,
            "lineItems": copy.deepcopy(invoice["lineItems"]),
            "attachmentRefs": [],
            "journalEntryRef": None,
            "metadata": dict(invoice.get("metadata") or {}),
        }
        for key in ("billingAddress", "deliveryAddress"):
            if key in invoice:
                note[key] = copy.deepcopy(invoice[key])
        self.company.credit_notes[note["id"]] = note
        return self.view_note(note)

    def view_note(self, note: Json) -> Json:
        """A credit note as Bokio returns it (a copy)."""
        return render(note)

    def credit_note(self, note_id: str) -> Json:
        found = self.company.credit_notes.get(note_id)
        if found is None:
            raise not_found("credit note", note_id)
        return found

    def _draft_note(self, note_id: str, action: str) -> Json:
        note = self.credit_note(note_id)
        if note["status"] != "draft":
            raise not_allowed(
                f"Credit note with value {note_id} cannot be {action} as it is not in draft status"
            )
        return note

    def update_credit_note(self, note_id: str, body: Json) -> Json:
        """PUT /credit-notes/{id}: drafts only; lines and dates may change (partial credit)."""
        note = self._draft_note(note_id, "updated")
        errors = v.check_object(body, fieldtypes.CREDIT_NOTE)
        if not errors:
            v.line_items_errors(errors, body)
            for key in ("creditDate", "dueDate"):
                if body.get(key) is None:
                    errors.add(f"/{key}", f"The {key} field is required")
        self._raise(errors)
        note.update(lineItems=self._lines(body["lineItems"], note["lineItems"]))
        store_totals(self.company, note)
        note.update(creditDate=body["creditDate"], dueDate=body["dueDate"])
        for key in ("orderNumberReference", "projectReference", "buyerReference", "contractReference"):
            note[key] = body.get(key)
        return self.view_note(note)

    def delete_credit_note(self, note_id: str) -> None:
        """DELETE /credit-notes/{id}: drafts only."""
        self._draft_note(note_id, "deleted")
        del self.company.credit_notes[note_id]

    def publish_credit_note(self, note_id: str) -> Json:
        """POST /credit-notes/{id}/publish: number and timestamp; the invoice may become credited."""
        note = self._draft_note(note_id, "published")
        note["invoiceNumber"] = f"CN-{self.company.next_credit_number}"
        self.company.next_credit_number += 1
        note["status"] = "published"
        note["publishedDateTime"] = self._stamp()
        return self.view_note(note)

    def record_credit_note(self, note_id: str) -> Json:
        """POST /credit-notes/{id}/record: published and not yet recorded."""
        note = self.credit_note(note_id)
        if note["status"] != "published" or note["journalEntryRef"] is not None:
            raise cannot_act("credit note", note_id)
        lines = journal.invoice_lines(note, document_amounts(self.company, note).rounding, credit_note=True)
        entry = self.mint_entry(f"Kreditfaktura {note['invoiceNumber']}", note["creditDate"], lines)
        note["journalEntryRef"] = {"id": entry["id"]}
        return self.view_note(note)

    # ----- journal entries and tags ----------------------------------------------------------
    def journal_entry(self, entry_id: str) -> Json:
        found = self.company.journal_entries.get(entry_id)
        if found is None:
            raise not_found("journal entry", entry_id)
        return render_journal_entry(self.company, found)

    def set_entry_tags(self, entry_id: str, body: Json) -> Json:
        """PUT /journal-entries/{id}/tags: replace all; entry-level xor item-level; weights ≤ 1."""
        self.journal_entry(entry_id)
        entry = self.company.journal_entries[entry_id]
        errors = v.check_object(body, fieldtypes.ENTRY_TAGS)
        if errors:
            self._raise(errors)
        tags = body.get("tags") or []
        items = body.get("items") or []
        known = {t["id"]: g["id"] for g in self.company.tag_groups.values() for t in g["tags"]}
        errors.extend(self._tag_errors(tags, "#/tags", known))
        item_ids = {item["id"] for item in entry["items"]}
        for index, item in enumerate(items):
            if item.get("id") not in item_ids:
                errors.append(
                    FieldError(f"#/items/{index}/id", f"Journal entry item {item.get('id')} not found")
                )
            errors.extend(self._tag_errors(item.get("tags") or [], f"#/items/{index}/tags", known))
        if tags and any(item.get("tags") for item in items):
            errors.append(FieldError("#/tags", "Tags must be set on the entry or on its items, not both"))
        self._raise(errors)
        entry["tags"] = [{"tagId": t["tagId"], "weight": Decimal(t.get("weight", 1))} for t in tags]
        by_id = {item["id"]: item.get("tags") or [] for item in items}
        for item in entry["items"]:
            item["tags"] = [
                {"tagId": t["tagId"], "weight": Decimal(t.get("weight", 1))}
                for t in by_id.get(item["id"], [])
            ]
        return render_journal_entry(self.company, entry)

    # ----- a person's corrections in Bokio's UI (admin routes and tests; no API does these) -------
    def entry_by_ref(self, ref: str) -> Json:
        """The stored entry by id or by voucher number (``V12``)."""
        entries = self.company.journal_entries
        found = entries.get(ref) or next(
            (e for e in entries.values() if e["journalEntryNumber"] == ref), None
        )
        if found is None:
            raise not_found("journal entry", ref)
        return found

    def reverse_by_person(self, ref: str, on: str | None = None) -> Json:
        """A person reverses a voucher (any origin, once); returns the reversing entry."""
        entry = self.entry_by_ref(ref)
        if entry["reversedByJournalEntryId"] is not None or entry["reversingJournalEntryId"] is not None:
            raise not_allowed(
                f"Journal entry {entry['journalEntryNumber']} is already reversed or a reversal"
            )
        self.reverse_entry(entry["id"], on or self.today().isoformat())
        return self.journal_entry(str(entry["reversedByJournalEntryId"]))

    def amend_entry(self, ref: str, items: list[Json], on: str | None = None) -> Json:
        """A person corrects a voucher's rows in place; the SIE export shows the removed and added rows."""
        entry = self.entry_by_ref(ref)
        new: list[Json] = [
            {
                "id": i,
                "debit": Decimal(it["debit"]),
                "credit": Decimal(it["credit"]),
                "account": int(it["account"]),
                "tags": [],
            }
            for i, it in enumerate(items, start=1)
        ]
        if sum((Decimal(it["debit"]) - Decimal(it["credit"]) for it in new), Decimal(0)) != 0:
            raise not_allowed("Debits must equal credits")
        key = [(it["account"], it["debit"], it["credit"]) for it in new]
        old = [(it["account"], it["debit"], it["credit"]) for it in entry["items"]]
        change = {
            "date": on or self.today().isoformat(),
            "removed": [it for it in entry["items"] if (it["account"], it["debit"], it["credit"]) not in key],
            "added": [it for it in new if (it["account"], it["debit"], it["credit"]) not in old],
        }
        entry.setdefault("_amendments", []).append(change)
        entry["items"] = new
        return self.journal_entry(entry["id"])

    @staticmethod
    def _tag_errors(tags: list[Json], pointer: str, known: dict[str, str]) -> list[FieldError]:
        errors = []
        per_group: dict[str, Decimal] = {}
        for index, tag in enumerate(tags):
            weight = Decimal(tag.get("weight", 1))
            if tag.get("tagId") not in known:
                errors.append(FieldError(f"{pointer}/{index}/tagId", f"Tag {tag.get('tagId')} not found"))
                continue
            if not Decimal(0) < weight <= 1:
                errors.append(FieldError(f"{pointer}/{index}/weight", "Weight must be > 0 and ≤ 1"))
            group = known[tag["tagId"]]
            per_group[group] = per_group.get(group, Decimal(0)) + weight
            if per_group[group] > 1:
                errors.append(
                    FieldError(f"{pointer}/{index}/weight", "Weights within a tag group sum to more than 1")
                )
        return errors

    def require_feature(self, feature: str) -> None:
        """403 price-plan body when the company's plan lacks ``feature``."""
        if feature not in self.company.features:
            raise price_plan_required(feature)


__all__ = ["ApiError", "Books", "validation"]

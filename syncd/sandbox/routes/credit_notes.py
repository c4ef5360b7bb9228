"""Credit notes: list (page size 20), get, PUT/DELETE drafts, publish, record."""

from __future__ import annotations

from syncd.sandbox.query import compile_query, paginate
from syncd.sandbox.router import Ctx, Result, route

BASE = "/companies/{companyId}/credit-notes"
ONE = f"{BASE}/{{creditNoteId}}"


@route("GET", BASE)
def list_(ctx: Ctx) -> Result:
    keep = compile_query(ctx.query.get("query"), "credit-notes")
    views = [ctx.books.view_note(n) for n in ctx.books.company.credit_notes.values()]
    notes = [view for view in views if keep(view)]
    return 200, paginate(notes, ctx.query, default_size=20)


@route("GET", ONE)
def get(ctx: Ctx) -> Result:
    return 200, ctx.books.view_note(ctx.books.credit_note(ctx.params["creditNoteId"]))


@route("PUT", ONE)
def update(ctx: Ctx) -> Result:
    return 200, ctx.books.update_credit_note(ctx.params["creditNoteId"], ctx.json())


@route("DELETE", ONE)
def delete(ctx: Ctx) -> Result:
    ctx.books.delete_credit_note(ctx.params["creditNoteId"])
    return 204, None


@route("POST", f"{ONE}/publish")
def publish(ctx: Ctx) -> Result:
    return 200, ctx.books.publish_credit_note(ctx.params["creditNoteId"])


@route("POST", f"{ONE}/record")
def record(ctx: Ctx) -> Result:
    return 200, ctx.books.record_credit_note(ctx.params["creditNoteId"])

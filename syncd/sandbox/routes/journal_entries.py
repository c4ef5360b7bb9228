"""Journal entries (list with ``query``/``tagId``, get) and replacing their tags (Tags feature)."""

from __future__ import annotations

from typing import Any

from syncd.sandbox import fieldtypes
from syncd.sandbox.errors import FieldError, validation
from syncd.sandbox.query import compile_query, paginate
from syncd.sandbox.router import Ctx, Result, route
from syncd.sandbox.state import render_journal_entry

BASE = "/companies/{companyId}/journal-entries"


def _has_tag(entry: dict[str, Any], tag_id: str) -> bool:
    tags = entry["tags"] + [t for item in entry["items"] for t in item["tags"]]
    return any(t["tagId"] == tag_id for t in tags)


@route("GET", BASE)
def list_(ctx: Ctx) -> Result:
    keep = compile_query(ctx.query.get("query"), "journal-entries")
    tag_id = ctx.query.get("tagId")
    if tag_id is not None and not fieldtypes.is_uuid(tag_id):  # the spec's uuid, empty included
        message = f"The value '{tag_id}' is not valid for tagId"
        raise validation([FieldError("tagId", message)], message)
    company = ctx.books.company
    entries = [
        render_journal_entry(company, e)
        for e in company.journal_entries.values()
        if keep(e) and (not tag_id or _has_tag(e, tag_id))
    ]
    return 200, paginate(entries, ctx.query)


@route("GET", f"{BASE}/{{journalEntryId}}")
def get(ctx: Ctx) -> Result:
    return 200, ctx.books.journal_entry(ctx.params["journalEntryId"])


@route("PUT", f"{BASE}/{{journalEntryId}}/tags", feature="Tags")
def put_tags(ctx: Ctx) -> Result:
    return 200, ctx.books.set_entry_tags(ctx.params["journalEntryId"], ctx.json())

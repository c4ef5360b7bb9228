"""Tag groups and tags (Tags price-plan feature): aliases ≤ 3 chars and unique, names unique."""

from __future__ import annotations

from typing import Any

from syncd.sandbox import fieldtypes
from syncd.sandbox.errors import ApiError, FieldError, not_allowed, not_found, validation
from syncd.sandbox.query import compile_query, paginate
from syncd.sandbox.router import Ctx, Result, route
from syncd.sandbox.state import Json, render
from syncd.sandbox.validation import check_object

BASE = "/companies/{companyId}/tag-groups"
ONE = f"{BASE}/{{tagGroupId}}"


def _group(ctx: Ctx) -> Json:
    found = ctx.books.company.tag_groups.get(ctx.params["tagGroupId"])
    if found is None:
        raise not_found("tag group", ctx.params["tagGroupId"])
    return found


def _group_errors(ctx: Ctx, body: Any, current: str | None) -> None:
    errors = check_object(body, fieldtypes.TAG_GROUP)
    if errors:
        raise validation(errors)
    if not body.get("name"):
        errors.append(FieldError("#/name", "The name field is required"))
    alias = body.get("alias")
    if not alias:
        errors.append(FieldError("#/alias", "The alias field is required"))
    elif len(str(alias)) > 3:
        errors.append(FieldError("#/alias", "The alias can be at most 3 characters"))
    elif any(g["alias"] == alias and g["id"] != current for g in ctx.books.company.tag_groups.values()):
        errors.append(FieldError("#/alias", f"The alias {alias} is already used"))
    if errors:
        raise validation(errors)


def _in_use(ctx: Ctx, tag_ids: set[str]) -> bool:
    for entry in ctx.books.company.journal_entries.values():
        tags = entry["tags"] + [t for item in entry["items"] for t in item["tags"]]
        if any(t["tagId"] in tag_ids for t in tags):
            return True
    return False


@route("POST", BASE, feature="Tags")
def create_group(ctx: Ctx) -> Result:
    body = ctx.json()
    _group_errors(ctx, body, None)
    group = {
        "id": ctx.sandbox.new_id(),
        "name": body["name"],
        "alias": body["alias"],
        "dimensionNumber": body.get("dimensionNumber"),
        "tags": [],
    }
    ctx.books.company.tag_groups[group["id"]] = group
    return 200, render(group)


@route("GET", BASE, feature="Tags")
def list_groups(ctx: Ctx) -> Result:
    keep = compile_query(ctx.query.get("query"), "tag-groups")
    groups = [render(g) for g in ctx.books.company.tag_groups.values() if keep(g)]
    return 200, paginate(groups, ctx.query, default_size=20)


@route("GET", ONE, feature="Tags")
def get_group(ctx: Ctx) -> Result:
    return 200, render(_group(ctx))


@route("PUT", ONE, feature="Tags")
def update_group(ctx: Ctx) -> Result:
    """Name and alias only; ``dimensionNumber`` is fixed after create."""
    group = _group(ctx)
    body = ctx.json()
    _group_errors(ctx, body, group["id"])
    group.update(name=body["name"], alias=body["alias"])
    return 200, render(group)


@route("DELETE", ONE, feature="Tags")
def delete_group(ctx: Ctx) -> Result:
    group = _group(ctx)
    if _in_use(ctx, {t["id"] for t in group["tags"]}):
        raise not_allowed(f"Tag group with value {group['id']} is in use")
    del ctx.books.company.tag_groups[group["id"]]
    return 204, None


def _tag_name(ctx: Ctx, group: Json, current: str | None) -> str:
    body = ctx.json()
    errors = check_object(body, fieldtypes.TAG_VALUE)
    if errors:
        raise validation(errors)
    name = body.get("name")
    if not name:
        raise validation([FieldError("#/name", "The name field is required")])
    if any(t["name"] == name and t["id"] != current for t in group["tags"]):
        raise validation([FieldError("#/name", f"A tag named {name} already exists in this group")])
    return str(name)  # a string: the type check above


def _tag(ctx: Ctx, group: Json) -> Json:
    for tag in group["tags"]:
        if tag["id"] == ctx.params["tagId"]:
            return tag  # type: ignore[no-any-return]
    raise not_found("tag", ctx.params["tagId"])


@route("POST", f"{ONE}/tags", feature="Tags")
def create_tag(ctx: Ctx) -> Result:
    group = _group(ctx)
    tag = {"id": ctx.sandbox.new_id(), "name": _tag_name(ctx, group, None)}
    group["tags"].append(tag)
    return 200, render(tag)


@route("PUT", f"{ONE}/tags/{{tagId}}", feature="Tags")
def update_tag(ctx: Ctx) -> Result:
    group = _group(ctx)
    tag = _tag(ctx, group)
    tag["name"] = _tag_name(ctx, group, tag["id"])
    return 200, render(tag)


@route("DELETE", f"{ONE}/tags/{{tagId}}", feature="Tags")
def delete_tag(ctx: Ctx) -> Result:
    group = _group(ctx)
    tag = _tag(ctx, group)
    if _in_use(ctx, {tag["id"]}):
        raise not_allowed(f"Tag with value {tag['id']} is in use")
    group["tags"].remove(tag)
    return 204, None


__all__ = ["ApiError"]

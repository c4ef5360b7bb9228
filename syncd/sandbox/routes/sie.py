"""SIE export of one fiscal year (``sie:read``): the company's own journal entries as a file."""

from __future__ import annotations

from syncd.sandbox import sie
from syncd.sandbox.errors import not_found
from syncd.sandbox.router import Ctx, Result, route


@route("GET", "/companies/{companyId}/sie/{fiscalYearId}/download")
def download(ctx: Ctx) -> Result:
    """200 with the file's bytes (``application/octet-stream``); unknown year: 404 as the spec shows."""
    year = ctx.books.company.fiscal_years.get(ctx.params["fiscalYearId"])
    if year is None:
        raise not_found("fiscal year", ctx.params["fiscalYearId"])
    return 200, sie.export(ctx.books.company, year, ctx.books.today())

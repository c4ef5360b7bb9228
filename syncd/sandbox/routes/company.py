"""Company information, chart of accounts and fiscal years (read-only)."""

from __future__ import annotations

from syncd.sandbox.errors import not_found
from syncd.sandbox.query import compile_query, paginate
from syncd.sandbox.router import Ctx, Result, route
from syncd.sandbox.state import render, render_fiscal_year

BASE = "/companies/{companyId}"


@route("GET", f"{BASE}/company-information")
def company_information(ctx: Ctx) -> Result:
    """Wrapped in ``companyInformation`` as in the saved spec (reference §16.12)."""
    return 200, {"companyInformation": render(ctx.books.company.info)}


@route("GET", f"{BASE}/chart-of-accounts")
def chart_of_accounts(ctx: Ctx) -> Result:
    """A plain array, no paging (reference §3.1)."""
    keep = compile_query(ctx.query.get("query"), "chart-of-accounts")
    accounts = sorted(ctx.books.company.accounts.values(), key=lambda a: a["account"])
    return 200, [render(a) for a in accounts if keep(a)]


@route("GET", f"{BASE}/chart-of-accounts/{{account}}")
def account(ctx: Ctx) -> Result:
    raw = ctx.params["account"]
    found = ctx.books.company.accounts.get(int(raw)) if raw.isdigit() else None
    if found is None:
        raise not_found("account", raw)
    return 200, {**render(found), "accountBalance": None}


@route("GET", f"{BASE}/fiscal-years")
def fiscal_years(ctx: Ctx) -> Result:
    keep = compile_query(ctx.query.get("query"), "fiscal-years")
    company = ctx.books.company
    views = [render_fiscal_year(company, y) for y in company.fiscal_years.values()]
    years = [view for view in views if keep(view)]
    return 200, paginate(years, ctx.query)


@route("GET", f"{BASE}/fiscal-years/{{fiscalYearId}}")
def fiscal_year(ctx: Ctx) -> Result:
    """Wrapped in ``fiscalYear`` as in the saved spec; ``accountingMethod`` is the company's reading."""
    found = ctx.books.company.fiscal_years.get(ctx.params["fiscalYearId"])
    if found is None:
        raise not_found("fiscal year", ctx.params["fiscalYearId"])
    return 200, {"fiscalYear": render_fiscal_year(ctx.books.company, found)}

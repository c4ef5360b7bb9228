"""Admin routes outside ``/v1``; over HTTP they need the server's admin token (see
:mod:`syncd.sandbox.server`), in process the caller holds the sandbox anyway:

- ``GET  /_sandbox/log?since=N`` -> ``{"entries": [...]}`` (entries with ``seq`` > N)
- ``GET  /_sandbox/counters`` -> per-company counters and in-flight high-water marks
- ``GET  /_sandbox/faults`` / ``POST /_sandbox/faults`` (one fault or a list) / ``DELETE``
- ``GET  /_sandbox/gates`` -> held/open/done per gate; ``POST /_sandbox/gates/{name}/open`` lets
  its requests go (see :mod:`syncd.sandbox.faults`)
- ``POST /_sandbox/reset`` -> forget everything; body ``{"seed": "demo"|"none", "companyId", "token",
  "readings"?}`` (``readings`` as below, for the new company)
- ``GET|POST /_sandbox/clock`` -> ``{"now": iso}``; body ``{"now": iso}`` or ``{"advanceSeconds": n}``
- ``GET  /_sandbox/violations`` -> contract violations recorded in strict mode
- ``GET|POST /_sandbox/companies/{id}/readings`` -> ``{"readings": {...}}``; the POST body changes
  any of the switches of :class:`~syncd.sandbox.readings.Readings` (camelCase keys, e.g.
  ``{"paidIncludesSettlements": false, "rounding": "in_total"}``)
- ``POST /_sandbox/companies/{id}/journal-entries/{id or V12}/reverse`` body ``{"date"?}`` -> a
  person reverses a voucher in Bokio's UI; ``…/amend`` body ``{"items": [{account, debit,
  credit}], "date"?}`` -> a person corrects its rows (SIE shows ``#BTRANS``/``#RTRANS``)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from syncd.sandbox import jsonutil
from syncd.sandbox.core import Sandbox
from syncd.sandbox.errors import ApiError
from syncd.sandbox.faults import Fault
from syncd.sandbox.readings import Readings
from syncd.sandbox.response import SandboxResponse, json_response
from syncd.sandbox.seed import seed_demo

Query = dict[str, str]
Action = Callable[[Sandbox, Query, Any], Any]
CompanyAction = Callable[[Sandbox, str, list[str], Any], Any]


class AdminNotFound(LookupError):
    """No admin route (or no such company): a 404."""


def handle_admin(sandbox: Sandbox, method: str, path: str, query: Query, body: bytes) -> SandboxResponse:
    """Dispatch one admin request; bad input is a 400 with ``{"error": ...}``."""
    try:
        data = jsonutil.loads(body) if body else {}
        with sandbox.lock:
            return json_response(200, _dispatch(sandbox, method, path.rstrip("/"), query, data))
    except AdminNotFound as exc:
        return json_response(404, {"error": str(exc)})
    except ApiError as exc:
        return json_response(exc.status, {"error": exc.message})
    except (ValueError, TypeError, KeyError) as exc:
        return json_response(400, {"error": str(exc)})


def _dispatch(sandbox: Sandbox, method: str, path: str, query: Query, data: Any) -> Any:
    """Exact routes first, then the two families with a name or company in the path."""
    route = path.removeprefix("/_sandbox")
    action = _ROUTES.get((method, route))
    if action is not None:
        return action(sandbox, query, data)
    parts = route.strip("/").split("/")
    if method == "POST" and len(parts) == 3 and parts[0] == "gates" and parts[2] == "open":
        return _open_gate(sandbox, parts[1])
    if len(parts) >= 3 and parts[0] == "companies":
        return _company_route(sandbox, method, parts, data)
    raise AdminNotFound(f"no admin route {method} {path}")


def _log(sandbox: Sandbox, query: Query, _data: Any) -> Any:
    since = int(query.get("since", 0))
    return {"entries": [e.to_json() for e in sandbox.log if e.seq > since]}


def _counters(sandbox: Sandbox, _query: Query, _data: Any) -> Any:
    counters = {cid: c.to_json() for cid, c in sandbox.counters.items()}
    return {"companies": counters, "highWater": sandbox.high_water()}


def _faults(sandbox: Sandbox, _query: Query, _data: Any) -> Any:
    return {"faults": [f.to_json() for f in sandbox.faults.pending()]}


def _add_faults(sandbox: Sandbox, _query: Query, data: Any) -> Any:
    items = data if isinstance(data, list) else [data]
    return {"faults": [sandbox.faults.add(Fault.from_json(item)).to_json() for item in items]}


def _clear_faults(sandbox: Sandbox, _query: Query, _data: Any) -> Any:
    sandbox.faults.clear()
    return {"faults": []}


def _gates(sandbox: Sandbox, _query: Query, _data: Any) -> Any:
    return {"gates": [g.to_json() for g in sandbox.faults.gates()]}


def _open_gate(sandbox: Sandbox, name: str) -> Any:
    gate = sandbox.faults.gate(name)
    gate.open()  # parked writes are applied here (the sandbox lock is re-entrant)
    return {"gate": gate.to_json()}


def _violations(sandbox: Sandbox, _query: Query, _data: Any) -> Any:
    return {"violations": list(sandbox.contract_violations)}


def _reset(sandbox: Sandbox, _query: Query, data: dict[str, Any]) -> Any:
    sandbox.reset()
    company_id = data.get("companyId")
    token = data.get("token")
    readings = Readings().updated(data["readings"]) if "readings" in data else None
    if data.get("seed", "none") == "demo":
        return {"companyId": seed_demo(sandbox, company_id=company_id, token=token, readings=readings).id}
    if company_id or token:
        return {"companyId": sandbox.add_company(company_id, token=token, readings=readings).id}
    return {}


def _get_clock(sandbox: Sandbox, _query: Query, _data: Any) -> Any:
    return {"now": sandbox.clock().isoformat()}


def _set_clock(sandbox: Sandbox, _query: Query, data: dict[str, Any]) -> Any:
    clock: Any = sandbox.clock
    if "now" in data:
        if not hasattr(clock, "set"):
            raise ValueError("this sandbox's clock cannot be set")
        clock.set(datetime.fromisoformat(str(data["now"]).replace("Z", "+00:00")))
    if "advanceSeconds" in data:
        if not hasattr(clock, "advance"):
            raise ValueError("this sandbox's clock cannot be advanced")
        clock.advance(float(data["advanceSeconds"]))
    return {"now": sandbox.clock().isoformat()}


_ROUTES: dict[tuple[str, str], Action] = {
    ("GET", "/log"): _log,
    ("GET", "/counters"): _counters,
    ("GET", "/faults"): _faults,
    ("POST", "/faults"): _add_faults,
    ("DELETE", "/faults"): _clear_faults,
    ("GET", "/gates"): _gates,
    ("POST", "/reset"): _reset,
    ("GET", "/violations"): _violations,
    ("GET", "/clock"): _get_clock,
    ("POST", "/clock"): _set_clock,
}


# ----- /_sandbox/companies/{id}/... ----------------------------------------------------------------
def _company_route(sandbox: Sandbox, method: str, parts: list[str], data: Any) -> Any:
    """``parts`` = ``["companies", id, ...]``: the company's readings or a person's correction."""
    if parts[1] not in sandbox.companies:
        raise AdminNotFound(f"no company {parts[1]}")
    action = _COMPANY_ROUTES.get((method, parts[2], len(parts)))
    if action is None:
        raise AdminNotFound(f"no admin route {method} /_sandbox/{'/'.join(parts)}")
    return action(sandbox, parts[1], parts[3:], data)


def _readings(sandbox: Sandbox, company_id: str, _rest: list[str], _data: Any) -> Any:
    return {"readings": sandbox.companies[company_id].readings.to_json()}


def _set_readings(sandbox: Sandbox, company_id: str, _rest: list[str], data: dict[str, Any]) -> Any:
    sandbox.set_readings(company_id, sandbox.companies[company_id].readings.updated(data))
    return _readings(sandbox, company_id, _rest, data)


def _correction(sandbox: Sandbox, company_id: str, rest: list[str], data: dict[str, Any]) -> Any:
    """A person's correction of a voucher: ``rest`` = ``[entry, "reverse"|"amend"]``."""
    ref, action = rest
    books = sandbox.books(company_id)
    if action == "reverse":
        return books.reverse_by_person(ref, data.get("date"))
    if action == "amend":
        return books.amend_entry(ref, list(data["items"]), data.get("date"))
    raise AdminNotFound(
        f"no admin route POST /_sandbox/companies/{company_id}/journal-entries/{ref}/{action}"
    )


_COMPANY_ROUTES: dict[tuple[str, str, int], CompanyAction] = {
    ("GET", "readings", 3): _readings,
    ("POST", "readings", 3): _set_readings,
    ("POST", "journal-entries", 5): _correction,
}

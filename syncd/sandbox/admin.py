"""Admin routes outside ``/v1``; over HTTP they need the server's admin token (see
:mod:`syncd.sandbox.server`), in process the caller holds the sandbox anyway:

- ``GET  /_sandbox/log?since=N`` -> ``{"entries": [...]}`` (entries with ``seq`` > N)
- ``GET  /_sandbox/counters`` -> per-company counters and in-flight high-water marks
- ``GET  /_sandbox/faults`` / ``POST /_sandbox/faults`` (one fault or a list) / ``DELETE``
- ``GET  /_sandbox/gates`` -> held/open/done per gate; ``POST /_sandbox/gates/{name}/open`` lets
  its requests go (see :mod:`syncd.sandbox.faults`)
- ``POST /_sandbox/reset`` -> forget everything; body ``{"seed": "demo"|"none", "companyId", "token"}``
- ``GET|POST /_sandbox/clock`` -> ``{"now": iso}``; body ``{"now": iso}`` or ``{"advanceSeconds": n}``
- ``GET  /_sandbox/violations`` -> contract violations recorded in strict mode
- ``POST /_sandbox/companies/{id}/journal-entries/{id or V12}/reverse`` body ``{"date"?}`` -> a
  person reverses a voucher in Bokio's UI; ``…/amend`` body ``{"items": [{account, debit,
  credit}], "date"?}`` -> a person corrects its rows (SIE shows ``#BTRANS``/``#RTRANS``)
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncd.sandbox import jsonutil
from syncd.sandbox.faults import Fault

if TYPE_CHECKING:
    from syncd.sandbox.core import Sandbox, SandboxResponse


def _reply(status: int, payload: Any) -> SandboxResponse:
    from syncd.sandbox.core import SandboxResponse

    return SandboxResponse(status, {"Content-Type": "application/json"}, jsonutil.dumps(payload))


def handle_admin(
    sandbox: Sandbox, method: str, path: str, query: dict[str, str], body: bytes
) -> SandboxResponse:
    """Dispatch one admin request; bad input is a 400 with ``{"error": ...}``."""
    try:
        data = jsonutil.loads(body) if body else {}
        return _dispatch(sandbox, method, path.rstrip("/"), query, data)
    except (ValueError, TypeError, KeyError) as exc:
        return _reply(400, {"error": str(exc)})


def _dispatch(  # noqa: PLR0911 - a flat admin route table
    sandbox: Sandbox, method: str, path: str, query: dict[str, str], data: Any
) -> SandboxResponse:
    route = (method, path.removeprefix("/_sandbox"))
    with sandbox.lock:
        if route == ("GET", "/log"):
            since = int(query.get("since", 0))
            return _reply(200, {"entries": [e.to_json() for e in sandbox.log if e.seq > since]})
        if route == ("GET", "/counters"):
            counters = {cid: c.to_json() for cid, c in sandbox.counters.items()}
            return _reply(200, {"companies": counters, "highWater": sandbox.high_water()})
        if route == ("GET", "/faults"):
            return _reply(200, {"faults": [f.to_json() for f in sandbox.faults.pending()]})
        if route == ("POST", "/faults"):
            items = data if isinstance(data, list) else [data]
            added = [sandbox.faults.add(Fault.from_json(item)).to_json() for item in items]
            return _reply(200, {"faults": added})
        if route == ("DELETE", "/faults"):
            sandbox.faults.clear()
            return _reply(200, {"faults": []})
        if route == ("GET", "/gates"):
            return _reply(200, {"gates": [g.to_json() for g in sandbox.faults.gates()]})
        if method == "POST" and route[1].startswith("/gates/") and route[1].endswith("/open"):
            gate = sandbox.faults.gate(route[1].removeprefix("/gates/").removesuffix("/open"))
            gate.open()  # parked writes are applied here (the sandbox lock is re-entrant)
            return _reply(200, {"gate": gate.to_json()})
        if route == ("POST", "/reset"):
            return _reply(200, _reset(sandbox, data))
        if route == ("GET", "/violations"):
            return _reply(200, {"violations": list(sandbox.contract_violations)})
        if method == "POST" and route[1].startswith("/companies/"):
            return _correction(sandbox, route[1], data)
        if route[1] == "/clock" and method in ("GET", "POST"):
            return _reply(200, {"now": _clock(sandbox, data if method == "POST" else {})})
    return _reply(404, {"error": f"no admin route {method} {path}"})


def _correction(sandbox: Sandbox, path: str, data: dict[str, Any]) -> SandboxResponse:
    """A person's correction of a voucher (see the module docstring)."""
    from syncd.sandbox.errors import ApiError

    parts = path.strip("/").split("/")
    if len(parts) != 5 or parts[2] != "journal-entries" or parts[4] not in ("reverse", "amend"):
        return _reply(404, {"error": f"no admin route POST /_sandbox{path}"})
    if parts[1] not in sandbox.companies:
        return _reply(404, {"error": f"no company {parts[1]}"})
    books = sandbox.books(parts[1])
    try:
        if parts[4] == "reverse":
            return _reply(200, books.reverse_by_person(parts[3], data.get("date")))
        return _reply(200, books.amend_entry(parts[3], list(data["items"]), data.get("date")))
    except ApiError as exc:
        return _reply(exc.status, {"error": exc.message})


def _reset(sandbox: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    sandbox.reset()
    company_id = data.get("companyId")
    token = data.get("token")
    if data.get("seed", "none") == "demo":
        from syncd.sandbox.seed import seed_demo

        company = seed_demo(sandbox, company_id=company_id, token=token)
        return {"companyId": company.id}
    if company_id or token:
        return {"companyId": sandbox.add_company(company_id, token=token).id}
    return {}


def _clock(sandbox: Sandbox, data: dict[str, Any]) -> str:
    clock: Any = sandbox.clock
    if "now" in data:
        if not hasattr(clock, "set"):
            raise ValueError("this sandbox's clock cannot be set")
        clock.set(datetime.fromisoformat(str(data["now"]).replace("Z", "+00:00")))
    if "advanceSeconds" in data:
        if not hasattr(clock, "advance"):
            raise ValueError("this sandbox's clock cannot be advanced")
        clock.advance(float(data["advanceSeconds"]))
    return sandbox.clock().isoformat()

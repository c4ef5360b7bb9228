"""A stable JSON view of a read SIE file (golden tests, ``--json`` debugging); money as strings."""

from __future__ import annotations

from typing import Any

from syncd import jsonutil
from syncd.sie.reader import Row, SieFile


def _row(row: Row) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "account": row.account,
        "amount": str(row.amount),
        "objects": [list(pair) for pair in row.objects],
        "date": row.date.isoformat() if row.date else None,
        "text": row.text,
        "quantity": None if row.quantity is None else str(row.quantity),
        "sign": row.sign,
        "line": row.line,
    }


def render_json(sie: SieFile) -> str:
    """Sorted keys, two-space indent, trailing newline: diffable byte for byte."""
    view = {
        "flag": sie.flag,
        "format": sie.format,
        "sie_type": sie.sie_type,
        "program": sie.program,
        "generated": sie.generated.isoformat() if sie.generated else None,
        "company_name": sie.company_name,
        "org_number": sie.org_number,
        "fiscal_years": [
            {"index": y.index, "start": y.start.isoformat(), "end": y.end.isoformat()}
            for y in sie.fiscal_years
        ],
        "accounts": {str(k): v for k, v in sorted(sie.accounts.items())},
        "dimensions": {str(k): v for k, v in sorted(sie.dimensions.items())},
        "objects": [[d, o, name] for (d, o), name in sorted(sie.objects.items())],
        "vouchers": [
            {
                "ref": v.ref,
                "date": v.date.isoformat(),
                "text": v.text,
                "registered": v.registered.isoformat() if v.registered else None,
                "sign": v.sign,
                "changed": v.changed,
                "line": v.line,
                "rows": [_row(r) for r in v.rows],
            }
            for v in sie.vouchers
        ],
        "skipped": dict(sorted(sie.skipped.items())),
    }
    return jsonutil.dumps(view, indent=2, sort_keys=True) + "\n"

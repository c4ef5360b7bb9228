"""Route handlers, one module per resource; importing them fills :data:`syncd.sandbox.router.ROUTES`."""

from __future__ import annotations

_REGISTERED = False


def register_all() -> None:
    """Import every route module once (idempotent)."""
    global _REGISTERED  # noqa: PLW0603 - module-level registration guard
    if _REGISTERED:
        return
    from syncd.sandbox.routes import (  # noqa: F401 - imported for their @route side effects
        company,
        credit_notes,
        customers,
        general,
        invoices,
        journal_entries,
        payments,
        sie,
        tags,
    )

    _REGISTERED = True

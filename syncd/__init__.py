"""syncd: reconciles a company's bank money with its Bokio invoices."""

from __future__ import annotations

__version__ = "0.1.0"

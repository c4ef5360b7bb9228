"""`python -m syncd` runs the command line."""

from __future__ import annotations

from syncd.cli import main

raise SystemExit(main())

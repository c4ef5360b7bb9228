"""``syncd web``: the page where bookkeepers decide what syncd was unsure of.

Owns only presentation and sign-in: every decision goes through the functions ``syncd review``
and ``syncd undo`` call (:mod:`syncd.allocations`), with their locks and checks, one transaction
each. ``static/htmx.min.js`` is htmx.org 2.0.11 as published on npm (``dist/htmx.min.js``,
Zero-Clause BSD, ``static/htmx.LICENSE``); the pages work without it.
"""

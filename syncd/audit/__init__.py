"""Audit against Bokio's own ledger: every booking syncd made is in the books exactly once.

:mod:`.expect` reads what syncd booked from its database, :mod:`.compare` (pure) holds it
against the vouchers of a SIE export, :mod:`.run` fetches one SIE file per fiscal year and
stores the result (:mod:`.tables`), :mod:`.report` words it for people and JSON.
"""

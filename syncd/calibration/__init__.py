"""Bokio's open rules checked against each company's own books (read-only: the mirror only).

Bokio's documentation leaves open whether ``paidAmount`` counts settlements, how the sign of a
currency settlement reads, and which currency ``paidAmount`` is in on a foreign invoice; syncd is
configured with one answer each (``[bokio]``). :mod:`.readings` says which answers one invoice's
numbers fit; :mod:`.evidence` counts them over a company's history. When the history contradicts a
configured answer, or one invoice's figures fit no answer, syncd stops booking automatically there
and says why (the match stage, ``syncd calibrate``, ``doctor``, ``status``, the log, a metric).
"""

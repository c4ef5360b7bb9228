"""The matcher as it was before the payer tier's indexes (issue 16), kept only as a test oracle.

``test_oracle`` runs it and :func:`syncd.match.propose` on the same ambiguous inputs and requires
identical results. Frozen: change syncd/match, never this copy (the rules and memory are shared).
"""

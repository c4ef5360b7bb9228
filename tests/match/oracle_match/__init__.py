"""The matcher as it was before the payer tier's indexes (issue 16), kept only as a test oracle.

``test_oracle`` runs it and :func:`syncd.match.propose` on the same ambiguous inputs and requires
identical results. Only what that change touched is frozen here (the book, the engine, the payer
tier); the other tiers, plans, names and rules are syncd's own. Change syncd/match, never this copy.
"""

"""The matcher's evaluation, kept outside the matcher so it cannot grade its own homework.

``corpus`` and ``world`` generate labelled payment situations from the bookkeeping rules, importing
nothing of syncd but :mod:`syncd.domain` (a test holds them to it); ``score`` replays a corpus
through :func:`syncd.match.propose` and counts, per scenario kind, what was booked right, booked
wrong, left to a person rightly or wrongly, or missed. ``syncd match eval`` prints it.
"""

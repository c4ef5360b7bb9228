"""Bokio's query strings, encoded the way its filtering docs show.

JSON bodies (both directions) go through :mod:`syncd.jsonutil`, syncd's one exact-decimal codec.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote


def encode_query(params: Mapping[str, str | int]) -> bytes:
    """Percent-encode query parameters the way Bokio's filtering docs show (space → %20).

    httpx would write spaces as ``+``; Bokio documents ``%20``, so the query is built here and
    handed to httpx already encoded.
    """
    parts = [f"{quote(str(key), safe='')}={quote(str(val), safe='-_.~')}" for key, val in params.items()]
    return "&".join(parts).encode("ascii")

"""Payer-name ↔ customer-name similarity.

Banks write payer names upper-case, without diacritics, sometimes truncated and with or
without the legal form; Bokio has what the company typed. Both are normalised the same way
and compared with rapidfuzz's ``token_sort_ratio`` (word order does not matter, a missing
``s`` costs a little, an extra word costs a lot: "Svensson AB" is *not* "Svenssons Bygg AB").
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

# Legal forms and filler words that say nothing about who paid.
_STOPWORDS = frozenset(
    {
        "ab", "abp", "publ", "hb", "kb", "ef", "ek", "for", "aktiebolag", "handelsbolag",
        "kommanditbolag", "enskild", "firma", "ltd", "limited", "plc", "llc", "inc", "gmbh",
        "oy", "oyj", "as", "asa", "aps", "bv", "sa", "och", "and", "the",
    }
)  # fmt: skip
_NON_WORD = re.compile(r"[^a-z0-9]+")
TRUNCATED_MIN_LENGTH = 12
TRUNCATED_SCORE = 90


def normalise_name(name: str) -> str:
    """Lower-case ASCII words without legal forms, punctuation or diacritics.

    >>> normalise_name("Bergström Bygg AB")
    'bergstrom bygg'
    >>> normalise_name("NORDIN & SÖNER HB")
    'nordin soner'
    """
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    words = _NON_WORD.sub(" ", ascii_text.lower()).split()
    return " ".join(w for w in words if w not in _STOPWORDS)


def name_score(payer: str, customer: str) -> int:
    """Similarity 0-100 of two *normalised* names; a long payer name cut short still scores high.

    >>> name_score("svenssons bygg", "svenssons bygg")
    100
    >>> name_score("svensson", "svenssons bygg") < 85
    True
    """
    if not payer or not customer:
        return 0
    score = int(fuzz.token_sort_ratio(payer, customer))
    if len(payer) >= TRUNCATED_MIN_LENGTH and customer.startswith(payer):
        score = max(score, TRUNCATED_SCORE)
    return score


def block_keys(normalised: str) -> set[str]:
    """Keys that put possibly-similar names in the same bucket (first four letters of each word)."""
    return {word[:4] for word in normalised.split() if len(word) >= 3}

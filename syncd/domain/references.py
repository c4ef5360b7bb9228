"""Payment references: Swedish OCR numbers (Luhn + optional length digit) and RF (ISO 11649).

Pure functions, shared by the bank-file parsers (to classify what a payer wrote), the matcher
(to compare and repair references) and the sandbox (to mint OCR numbers on publish).
"""

from __future__ import annotations

import re

from stdnum import iso11649, luhn

OCR_MIN_LENGTH = 2
OCR_MAX_LENGTH = 25
_DIGITS = re.compile(r"\d+")
_RF = re.compile(r"RF\d{2}[0-9A-Z]{1,21}", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s.\-]")
_SPACE = re.compile(r"\s")
_RF_GROUPS = re.compile(r"(RF\d{2})((?:\s?[0-9A-Z]{1,4})+)", re.IGNORECASE)
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a Luhn digit doubled, its digits summed


def normalise(reference: str) -> str:
    """Strip whitespace, dashes and dots and upper-case; keep leading zeros (they matter).

    >>> normalise(" 1234 5678-9 ")
    '123456789'
    >>> normalise("rf18 5390 0754 7034")
    'RF18539007547034'
    """
    if reference.isalnum():  # nothing to strip (per parsed reference: no regex)
        return reference.upper()
    return _SEPARATORS.sub("", reference).upper()


def luhn_valid(digits: str) -> bool:
    """True if ``digits`` is all digits and passes the mod-10 (Luhn) check.

    >>> luhn_valid("18108401345678778")
    True
    >>> luhn_valid("89853")
    False
    """
    if not digits.isdigit() or not digits.isascii():  # python-stdnum's alphabet: ASCII digits only
        return False
    reverse = digits.encode("ascii")[::-1]  # the check digit first; byte values are 48 + digit
    odd = reverse[::2]
    total = sum(odd) - 48 * len(odd) + sum(_DOUBLED[value - 48] for value in reverse[1::2])
    return total % 10 == 0  # python-stdnum's luhn.is_valid, without its per-digit index() calls


def length_digit_valid(digits: str) -> bool:
    """True if the digit before the check digit is the ones digit of the total length.

    >>> length_digit_valid("18108401345678778")
    True
    """
    return len(digits) >= 3 and digits.isdigit() and int(digits[-2]) == len(digits) % 10


def is_ocr(reference: str) -> bool:
    """A plausible Swedish OCR: 2-25 digits with a valid Luhn check digit."""
    ref = normalise(reference)
    return OCR_MIN_LENGTH <= len(ref) <= OCR_MAX_LENGTH and luhn_valid(ref)


def make_ocr(base: str, *, with_length_digit: bool = True) -> str:
    """Append the optional length digit and the Luhn check digit to ``base``.

    >>> make_ocr("181084013456787")
    '18108401345678778'
    >>> is_ocr(make_ocr("1001"))
    True
    """
    if not base.isdigit():
        raise ValueError(f"OCR base must be digits: {base!r}")
    body = base
    if with_length_digit:
        body += str((len(base) + 2) % 10)
    return body + luhn.calc_check_digit(body)


def is_rf(reference: str) -> bool:
    """A valid ISO 11649 creditor reference (``RF`` + 2 check digits + up to 21 characters).

    >>> is_rf("RF45 1234 5123 45")
    True
    >>> is_rf("RF46 1234 5123 45")
    False
    """
    ref = normalise(reference)
    return ref.startswith("RF") and iso11649.is_valid(ref)


def make_rf(base: str) -> str:
    """Wrap ``base`` in an RF reference.

    >>> make_rf("1234512345")
    'RF451234512345'
    """
    ref = normalise(base)
    numeric = "".join(str(int(ch, 36)) for ch in ref + "RF00")
    check = 98 - int(numeric) % 97
    return f"RF{check:02d}{ref}"


def candidate_tokens(text: str, *, min_digits: int = 4) -> list[str]:
    """Digit runs and RF references found in free text, in order, without duplicates.

    Spaces inside a digit group are not joined (payers separate several OCRs with spaces).

    >>> candidate_tokens("Faktura 658369, OCR 657866 658765 rf45 1234 5123 45")
    ['RF451234512345', '658369', '657866', '658765']
    """
    found: list[str] = []
    joined = _join_rf_groups(text)
    for match in _RF.finditer(joined):
        ref = normalise(match.group())
        if is_rf(ref) and ref not in found:
            found.append(ref)
    without_rf = _RF.sub(" ", joined)
    for token in _DIGITS.findall(without_rf):
        if len(token) >= min_digits and token not in found:
            found.append(token)
    return found


def _join_rf_groups(text: str) -> str:
    """Join an RF reference printed in groups of four (``RF45 1234 5123 45``) into one token."""
    return _RF_GROUPS.sub(lambda m: m.group(1) + _SPACE.sub("", m.group(2)), text)

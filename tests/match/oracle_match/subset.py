"""Exact subset sums over integer öre, bounded so one payment can never stall a run.

Meet in the middle: with at most 24 candidates each half has at most 4,096 subsets, so the
search is complete (it finds *every* exact combination up to ``limit``), which is what lets the
caller tell a unique split (auto-acceptable) from an ambiguous one (review).
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_CANDIDATES = 24


def _half_sums(amounts: Sequence[int]) -> list[int]:
    """Sum of every subset of ``amounts``, indexed by bit mask."""
    sums = [0] * (1 << len(amounts))
    for mask in range(1, len(sums)):
        low = mask & -mask
        sums[mask] = sums[mask ^ low] + amounts[low.bit_length() - 1]
    return sums


def exact_subsets(amounts: Sequence[int], target: int, *, limit: int = 2) -> list[tuple[int, ...]]:
    """Up to ``limit`` non-empty index sets whose amounts (öre, > 0) sum exactly to ``target``.

    Results are sorted index tuples in a deterministic order.

    >>> exact_subsets([100, 250, 150, 400], 400)
    [(1, 2), (3,)]
    >>> exact_subsets([100, 200], 50)
    []
    """
    if len(amounts) > MAX_CANDIDATES:
        raise ValueError(f"at most {MAX_CANDIDATES} candidates, got {len(amounts)}")
    if target <= 0 or any(a <= 0 for a in amounts):
        return []
    total = sum(amounts)
    if total < target:
        return []
    if total == target:  # all positive, so no smaller subset can also hit the target
        return [tuple(range(len(amounts)))]
    return _meet_in_the_middle(amounts, target, limit)


def _meet_in_the_middle(amounts: Sequence[int], target: int, limit: int) -> list[tuple[int, ...]]:
    """Pair each right-half sum with the left-half subsets that complete it to ``target``."""
    middle = len(amounts) // 2
    left, right = amounts[:middle], amounts[middle:]
    by_sum: dict[int, list[int]] = {}
    for mask, value in enumerate(_half_sums(left)):
        if value <= target:
            by_sum.setdefault(value, []).append(mask)
    found: list[tuple[int, ...]] = []
    for right_mask, value in enumerate(_half_sums(right)):
        for left_mask in by_sum.get(target - value, ()):
            if left_mask == 0 and right_mask == 0:
                continue
            combined = left_mask | (right_mask << middle)
            found.append(tuple(i for i in range(len(amounts)) if combined >> i & 1))
            if len(found) >= limit:
                return sorted(found)
    return sorted(found)

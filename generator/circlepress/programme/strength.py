"""How hard a passphrase is to guess, as the zxcvbn estimator judges it."""

from __future__ import annotations

import functools

# At least 10**n guesses, by zxcvbn's estimate. A passphrase is attacked offline, through
# 600,000 PBKDF2 rounds per guess (some ten thousand guesses a second on a GPU): 10**14 holds
# for centuries, and four random words reach it (three often do not).
PASSPHRASE_GUESSES = 14
JUDGED = 72  # zxcvbn refuses longer values; the first 72 characters are judged


@functools.lru_cache(maxsize=256)
def weakness(value: str, needed: int, related: tuple[str, ...] = ()) -> str | None:
    """Why `value` is too easy to guess (fewer than 10**needed guesses), or None when it is not.

    `related` are words an attacker would try first (the circle's name, its members')."""
    from zxcvbn import zxcvbn  # 30 ms to import: only when there is something to judge

    result = zxcvbn(value[:JUDGED], user_inputs=list(related))
    if result["guesses_log10"] >= needed:
        return None
    why = result["feedback"]["warning"].rstrip(".")
    if not why and any(len(word) > 3 and word.lower() in value.lower() for word in related):
        why = "it uses the circle's own words"
    estimate = f"some 10^{int(result['guesses_log10'])} guesses where 10^{needed} are needed"
    return f"{estimate}: {why[:1].lower()}{why[1:]}" if why else estimate

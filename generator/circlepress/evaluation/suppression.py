"""Small groups kept out of a report: no figure for fewer than 5 respondents, and none that the
figures shown beside it would give away by subtraction.

The rule (the report's footnote and the README say it too): a group is the respondents who answered
one question, in one round, in one circle or in the whole programme. A group of fewer than
MIN_GROUP shows no count, share or chart, only SUPPRESSED. A table that shows a total beside its
circles hides, with each small circle, the next smallest circles too, until the hidden ones are at
least two and hold at least MIN_GROUP respondents together: the total minus the circles shown then
gives away only a group as large as the rule allows. A circle that answered the round but not
the question counts as a small group (0). Each round's table stands alone (no figure adds rounds up
per circle). A round of fewer than MIN_GROUP responses shows only that: its answers count nowhere
else (no circle row, circle count, comment, nor the count of all rounds). A circle's cell shows
only its share, never its count, which another question's table would turn into a difference, and
the page rounds it to the nearest 10% (an exact share from a small group tells its denominator).
Comments are pooled over rounds and circles, and shown only when at least MIN_GROUP members of at
least two circles wrote one. A round that one circle alone answered is a group like any other. This follows the common minimum cell size of
survey reports for institutions (Boise State University's survey-reporting policy, 2018-12-18:
no breakdown for fewer than 5 respondents; COACHE: no cell under 5)."""

from __future__ import annotations

from typing import Mapping

MIN_GROUP = 5
SUPPRESSED = "fewer than 5 responses"


def is_small(n: int) -> bool:
    """Whether a group of `n` respondents is too small to show (0 is no group: nothing to show)."""
    return 0 < n < MIN_GROUP


def hidden_groups(sizes: Mapping[str, int]) -> frozenset[str]:
    """The groups to hide in a table that also shows their total (the sum of `sizes`): each small
    one, and then the smallest of the others (ties by name) until the hidden ones cannot be told
    apart by subtraction. A group of size 0 (a circle that answered the round but not this question)
    is hidden like a small one: shown beside the total, it would give another question's count away."""
    hidden = {name for name, n in sizes.items() if n < MIN_GROUP}
    shown = sorted((n, name) for name, n in sizes.items() if name not in hidden)
    while hidden and shown and (len(hidden) == 1 or sum(sizes[h] for h in hidden) < MIN_GROUP):
        hidden.add(shown.pop(0)[1])
    return frozenset(hidden)

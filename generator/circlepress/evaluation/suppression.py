"""Small groups kept out of a report: no figure for fewer than 5 respondents, and none that the
figures shown beside it would give away by subtraction.

The rule (the report's footnote and the README say it too): a group is the respondents who answered
one question, in one round, in one circle or in the whole programme. A group of fewer than
MIN_GROUP shows no count, share or chart, only SUPPRESSED. A table that shows a total beside its
circles hides, with each small circle, the next smallest circles too, until the hidden ones are at
least two and hold at least MIN_GROUP respondents together: the total minus the circles shown then
gives away only a group as large as the rule allows. Each round's table stands alone (no figure adds
rounds up per circle), and when a round's count of responses is hidden, so are the count of all
rounds together and how many circles answered it. A circle's cell shows only its share (never its
count, which another question's table would turn into a difference), and a circle with no answer
looks like a hidden one. Comments are pooled over rounds and circles, and shown only when at least
MIN_GROUP members of at least two circles wrote one. A round that one circle alone answered is a group like any other. This follows the common minimum cell size of
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
    apart by subtraction. Groups of size 0 are not in the table."""
    present = {name: n for name, n in sizes.items() if n > 0}
    hidden = {name for name, n in present.items() if n < MIN_GROUP}
    shown = sorted((n, name) for name, n in present.items() if name not in hidden)
    while hidden and shown and (len(hidden) == 1 or sum(present[h] for h in hidden) < MIN_GROUP):
        hidden.add(shown.pop(0)[1])
    return frozenset(hidden)

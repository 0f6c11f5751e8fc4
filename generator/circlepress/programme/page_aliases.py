"""Old names of a circle's own pages (`aliases:` in their front matter): each is given a redirect
in the circle's site, so a renamed page's old address opens the new one."""

from __future__ import annotations

from typing import Callable

from .errors import Location, Problem
from .urls import name_problem

OLD_NAME = "write the page's old name, its file name without .md, e.g. reading-list"


def page_aliases(written: list[tuple[str, str, Location]], names: set[str], usable: Callable[[str], bool]
                 ) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    """From each (page name, alias as written, where) of a circle's pages: each page's old names,
    and a problem for every alias that is no usable name, is a page's own name or is claimed twice.
    `names` are the circle's pages (drafts too); `usable` tells a name a page could have."""
    kept: dict[str, list[str]] = {}
    claimed: dict[str, str] = {}
    problems: list[Problem] = []
    for page, alias, where in written:
        old = alias.strip().removesuffix("/")
        if not usable(old) or name_problem(old):
            problems.append(Problem(where, f"the alias '{alias}' is not a name a page of the circle's site can have",
                                    OLD_NAME))
        elif old in names:
            what = "this page's own name" if old == page else f"the name of the page {old}.md"
            problems.append(Problem(where, f"the alias '{alias}' is {what}",
                                    "remove the alias: a redirect there would replace the page"))
        elif old in claimed:
            problems.append(Problem(where, f"the alias '{alias}' is also an alias of {claimed[old]}.md",
                                    "keep it on one page"))
        else:
            claimed[old] = page
            kept.setdefault(page, []).append(old)
    return {page: tuple(olds) for page, olds in kept.items()}, problems

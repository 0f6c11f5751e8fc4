"""Circles: `sites/<slug>/circle.yaml` (and extra pages) -> validated `Circle` values."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from .agefiles import AGE_SUFFIX, identities, plain_name, read_source
from .config import Project
from .errors import CirclepressError, Location, Problem, Severity
from .handbook import CIRCLE_SITE, HandbookPage, PageMeta, collisions, fold, step_identity
from .markdown import Fragments, PageLink, Shortcode, parse_markdown
from .memo import Memo, NoMemo, value_stamp
from .page_aliases import page_aliases
from .progress import StepIds, progress_problems, resolved
from .schedule import Meeting, add_months, held, meetings, term_end, term_last_day
from .strength import PASSPHRASE_GUESSES, weakness
from .schema import FORM_HINT, KEY_PATTERN, MAX_SESSIONS, SESSIONS_HINT, CircleSpec, StepProgress, form_unmatched
from .source import Document, escaping_link, load_yaml, split_front_matter
from .urls import NAME_HINT, name_problem
from .validation import suggest, validate, validate_partly

CIRCLE_FILE = "circle.yaml"
PAGE_SUFFIX = ".md"
SAFE_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")  # used with fullmatch only
RESERVED_PAGES = {*CIRCLE_SITE, "steps"}
MIN_COMPLETE_SESSIONS = 3
NO_FORM = "this circle has no evaluation form"

Shown = Callable[[Path], str]


@dataclass(frozen=True)
class CirclePage:
    """An extra markdown page kept in the circle's folder."""

    name: str
    meta: PageMeta
    body: Fragments
    path: str  # its folder in the circle's site: the name, or a keyed digest of it in a private circle
    aliases: tuple[str, ...] = ()  # folders of its old names (`aliases:`), keyed like `path` in a private circle


@dataclass(frozen=True)
class Topic:
    title: str
    notes: Fragments | None
    proposed_by: str | None  # the member's name


@dataclass(frozen=True)
class Circle:
    """A validated circle, ready to render."""

    slug: str
    spec: CircleSpec
    source: str
    meetings: tuple[Meeting, ...]
    topics: tuple[Topic, ...]
    agreement: Fragments
    agreement_is_default: bool
    pages: tuple[CirclePage, ...]
    slug_at: Location
    url: str  # site-relative folder: circles/<slug>/, or a secret folder for a private circle
    digest: str = ""  # of its files and the handbook facts it was checked against
    key_at: Location | None = None  # where a private circle's access.key is set
    step_progress: tuple[tuple[str, StepProgress], ...] = ()  # by step identity, number keys resolved

    @property
    def key_id(self) -> str | None:
        """A digest that tells a private circle's key from another's (not the key itself)."""
        key = self.spec.access.key if self.is_private else None
        return hashlib.sha256(key.encode()).hexdigest()[:32] if key else None

    @property
    def is_private(self) -> bool:
        return self.spec.visibility == "private"

    @property
    def term_end(self):
        """The first day after the term (for comparisons; show `term_last_day`)."""
        return term_end(self.spec)

    @property
    def term_last_day(self):
        return term_last_day(self.spec)

    def progress(self, step: HandbookPage | str | None) -> StepProgress:
        """The circle's progress on a step: a handbook page, or a step's identity."""
        if isinstance(step, int):  # a theme written when progress was kept by number: say so, never show "to do"
            raise TypeError("circle.progress() takes the step's page, e.g. circle.progress(page), not its number")
        identity = step_identity(step) if isinstance(step, HandbookPage) else step
        return next((value for key, value in self.step_progress if key == identity), StepProgress())

    def member_name(self, member_id: str) -> str:
        return next((m.name for m in self.spec.members if m.id == member_id), member_id)


def slug_problem(slug: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) when `slug` cannot name a circle's folder and address, else None."""
    if not SAFE_SLUG.fullmatch(slug):
        return f"circle slug '{slug}' is not a safe URL segment", "use lowercase letters, digits and '-'"
    if why := name_problem(slug):
        return f"circle slug {why}", NAME_HINT
    return None


def _err(doc: Document, loc: tuple, message: str, hint: str = "", *, key: bool = False,
         severity: Severity = Severity.ERROR) -> Problem:
    return Problem(doc.locate(loc, key=key), message, hint, severity)


class _Renumbered:
    """A document seen through a salvaged spec: item i of a list is the file's item kept[list][i]."""

    def __init__(self, doc: Document, kept: dict[str, list[int]]) -> None:
        self.doc, self.kept = doc, kept

    def number(self, name: str, i: int) -> int:
        return self.kept[name][i] if name in self.kept else i

    def locate(self, loc: tuple, *, key: bool = False) -> Location:
        loc = tuple(loc)
        if len(loc) > 1 and isinstance(loc[1], int) and loc[0] in self.kept:
            loc = (loc[0], self.number(loc[0], loc[1]), *loc[2:])
        return self.doc.locate(loc, key=key)


def check_spec(spec: CircleSpec, doc: Document, steps: StepIds | None,
               schedule: tuple[Meeting, ...], *, also_known: frozenset[str] = frozenset()) -> list[Problem]:
    """The rules that relate values to each other; warnings for what step 8 and the rotation ask.

    `doc` may be a `_Renumbered` view when some list items failed the schema; `also_known` are the
    ids of members that failed it (not reported again as unknown)."""
    problems: list[Problem] = []
    number = doc.number if isinstance(doc, _Renumbered) else (lambda name, i: i)
    ids: dict[str, int] = {}
    for i, member in enumerate(spec.members):
        if member.id in ids:
            problems.append(_err(doc, ("members", i, "id"), f"duplicate member id '{member.id}'",
                                 f"member {number('members', ids[member.id]) + 1} already uses it; "
                                 "give each member their own id"))
        ids.setdefault(member.id, i)
    known = sorted(ids)

    def unknown(loc: tuple, member_id: str, what: str) -> None:
        if member_id not in ids and member_id not in also_known:
            hint = suggest(member_id, known) if known else "add the member under 'members' first"
            problems.append(_err(doc, loc, f"{what} '{member_id}' is not a member of this circle", hint))

    end = term_end(spec)
    keys: dict[date, int] = {}
    for i, session in enumerate(spec.sessions):
        count = len(session.facilitators)
        if count > 2:
            problems.append(_err(doc, ("sessions", i, "facilitators"),
                                 f"session on {session.date} has {count} facilitators",
                                 "name one or two member ids under 'facilitators'"))
        elif count == 0 and not session.cancelled:
            problems.append(_err(doc, ("sessions", i, "facilitators"), f"session on {session.date} has no "
                                 "facilitators yet", "name one or two member ids, or let `circlepress plan` "
                                 "fill them in", severity=Severity.WARNING))
        key = session.moved_from or session.date
        if key in keys:
            problems.append(_err(doc, ("sessions", i, "moved_from" if session.moved_from else "date"),
                                 f"session {number('sessions', keys[key]) + 1} is also planned for {key}",
                                 "one session per day; for a moved session, write 'moved_from:' once"))
        keys.setdefault(key, i)
        for j, person in enumerate(session.facilitators):
            unknown(("sessions", i, "facilitators", j), person, "facilitator")
        if not spec.term.start <= session.date < end:
            problems.append(_err(doc, ("sessions", i, "date"), f"session on {session.date} is outside the term",
                                 f"the term runs from {spec.term.start} to {end - timedelta(days=1)}; "
                                 "move the session or change 'term'"))
        if not session.topic and not session.cancelled:
            problems.append(_err(doc, ("sessions", i), f"session on {session.date} has no topic",
                                 "add 'topic:'", severity=Severity.WARNING))
    if len(schedule) > MAX_SESSIONS:  # listed sessions alone are held to it by the schema
        problems.append(_err(doc, ("repeat",), f"the repeat rule and 'sessions' make {len(schedule)} sessions; "
                             f"at most {MAX_SESSIONS} are allowed", SESSIONS_HINT + ", or end the rule earlier "
                             "with 'until:'", key=True))
    open_dates = sum(1 for m in schedule if not m.cancelled and m.key not in {str(k) for k in keys})
    if open_dates:
        problems.append(_err(doc, ("repeat",), f"{open_dates} session{' from the repeat rule has' if open_dates == 1 else 's from the repeat rule have'} "
                             "no topic or facilitators yet", "list them under 'sessions' by date, or run `circlepress plan`",
                             key=True, severity=Severity.WARNING))
    for i, member in enumerate(spec.members):
        for j, other in enumerate(member.co_facilitate_with):
            unknown(("members", i, "co_facilitate_with", j), other, "co-facilitator")
    for i, topic in enumerate(spec.topics):
        if topic.proposed_by:
            unknown(("topics", i, "proposed_by"), topic.proposed_by, "proposer")
    for i, signature in enumerate(spec.agreement.agreed):
        unknown(("agreement", "agreed", i, "member"), signature.member, "signatory")
    problems += progress_problems(spec, doc, steps)
    if spec.access.passphrase:
        names = [spec.name, spec.slug or "", *(m.name for m in spec.members)]
        related = tuple(sorted({word for name in names for word in (name, *name.replace("-", " ").split())}))
        why = weakness(spec.access.passphrase, PASSPHRASE_GUESSES, related)
        if why:
            problems.append(_err(doc, ("access", "passphrase"), f"the passphrase is too easy to guess, {why}",
                                 "use four or more random words that have nothing to do with the circle, "
                                 "e.g. picked with dice from a word list"))
    if not spec.links.evaluation:  # dropped by `build.load` when circlepress.yaml gives every circle's form
        at = ("links",) if "links" in spec.model_fields_set else ()
        problems.append(_err(doc, at, NO_FORM, "add 'links: evaluation: https://...' with the form's address, "
                             "or give every circle's in circlepress.yaml's 'evaluation: form:' (step 12); the "
                             "circle's home shows it", key=bool(at), severity=Severity.WARNING))
    elif unmatched := form_unmatched(spec.links.evaluation):
        problems.append(_err(doc, ("links", "evaluation"), unmatched, FORM_HINT, severity=Severity.WARNING))
    problems += _rotation_warnings(spec, doc, schedule)
    return problems


def access_problems(spec: CircleSpec, doc: Document, slug: str) -> list[Problem]:
    """A private circle needs its own well-formed `access.key` (never shown in a message);
    `access.version` (from the days of the site secret) is gone."""
    rotate = f"run `circlepress rotate {slug}` to write a new random key; the circle's link changes"
    if "version" in spec.access.model_fields_set:
        return [_err(doc, ("access", "version"), "'version' is no longer used: a private circle's link comes "
                     "from its own random 'key'", f"run `circlepress rotate {slug}`: it removes this line and writes a new random key; the circle's link "
                     "changes", key=True)]
    if spec.access.key is not None and not KEY_PATTERN.fullmatch(spec.access.key):
        return [_err(doc, ("access", "key"), "'key' is not a circle key (43 letters, digits, '-' or '_')", rotate)]
    if spec.visibility == "private" and spec.access.key is None:
        at = ("access",) if "access" in spec.model_fields_set else ("visibility",) \
            if "visibility" in spec.model_fields_set else ()
        default = "" if "visibility" in spec.model_fields_set else " (circles are private unless they say otherwise)"
        return [_err(doc, at, f"this private circle has no 'access: key:'{default}", rotate, key=bool(at))]
    return []


def _rotation_warnings(spec: CircleSpec, doc: Document, schedule: tuple[Meeting, ...]) -> list[Problem]:
    problems: list[Problem] = []
    year_end = add_months(spec.term.start, 12)
    leaders = {p.id for m in held(schedule) if m.date < year_end for p in m.facilitators}
    for i, member in enumerate(spec.members):
        if member.id not in leaders:
            problems.append(_err(doc, ("members", i, "id"), f"member '{member.id}' leads no session in the first year",
                                 "everyone leads at least once a year; add them as a facilitator",
                                 severity=Severity.WARNING))
    complete = sum(m.is_complete for m in held(schedule))
    if complete < MIN_COMPLETE_SESSIONS:
        problems.append(_err(doc, ("sessions",), f"only {complete} fully specified session{'' if complete == 1 else 's'}",
                             f"step 8: fix date, time, place, topic and facilitators for at least "
                             f"{MIN_COMPLETE_SESSIONS} sessions", key=True, severity=Severity.WARNING))
    return problems


def _field_markdown(text: str | None, doc: Document, loc: tuple, problems: list[Problem]) -> Fragments | None:
    """Markdown from a YAML value; shortcodes and page links belong in pages, not here."""
    if not text:
        return None
    where = doc.locate(loc)
    block = "\n" in text  # a block scalar starts on the line after its key
    parsed = parse_markdown(text, doc.path, first_line=where.line + block,
                            first_column=None if block else where.column)
    problems += parsed.problems
    for slot in parsed.fragments.slots:
        kind = "shortcodes" if isinstance(slot, Shortcode) else "links to .md pages"
        problems.append(Problem(slot.location, f"{kind} work only in markdown pages, not in circle.yaml",
                                "write the text or an https:// link instead"))
    return parsed.fragments


def is_circle_file(name: str) -> bool:
    """Whether a file name is one of a circle's sources: circle.yaml or a page, plain or sealed."""
    name = plain_name(name)
    return name == CIRCLE_FILE or name.endswith(PAGE_SUFFIX)


def circle_files(folder: Path, shown: Shown) -> tuple[list[Path], list[Problem]]:
    """A circle folder's source files (circle.yaml first, then its pages by name), each plain or
    sealed, and a problem for each file kept both ways (a folder named x.md is no page)."""
    try:
        with os.scandir(folder) as entries:
            names = {e.name for e in entries if e.is_file() and is_circle_file(e.name)}
    except OSError:
        names = set()
    problems = [Problem(Location(shown(folder / name)), f"the folder also holds the plaintext {plain_name(name)}",
                        f"keep one: delete {plain_name(name)} once the sealed file is current, or delete "
                        f"{name} and run `circlepress seal`")
                for name in sorted(names) if name.endswith(AGE_SUFFIX) and plain_name(name) in names]
    kept = sorted((n for n in names if not (n.endswith(AGE_SUFFIX) and plain_name(n) in names)),
                  key=lambda n: (plain_name(n) != CIRCLE_FILE, n))
    return [folder / n for n in kept], problems


def _load_pages(paths: list[Path], shown: Shown, moved: tuple[tuple[str, Location], ...] = ()
                ) -> tuple[list[CirclePage], list[Problem]]:
    pages, problems, written = [], [], []
    names = {plain_name(path.name).removesuffix(PAGE_SUFFIX) for path in paths}
    for path in paths:
        name = plain_name(path.name).removesuffix(PAGE_SUFFIX)
        try:
            front = split_front_matter(read_source(path, shown(path)), shown(path))
            meta = validate(PageMeta, front.meta)
        except CirclepressError as exc:
            problems += exc.problems
            continue
        if name in RESERVED_PAGES or not SAFE_SLUG.fullmatch(name):
            problems.append(Problem(Location(shown(path)), f"page name '{name}' cannot be used",
                                    "use lowercase letters, digits and '-', other than "
                                    + ", ".join(sorted(RESERVED_PAGES))))
            continue
        if why := name_problem(name):
            problems.append(Problem(Location(shown(path)), f"page name {why}", NAME_HINT))
            continue
        problems += [Problem(front.meta.locate((key,), key=True), f"'{key}' is for the handbook's step pages only",
                             f"remove '{key}:': a circle's own page is no step (its copies of the steps come "
                             "from content/steps/)") for key in ("step", "phase") if getattr(meta, key) is not None]
        parsed = parse_markdown(front.body, shown(path), first_line=front.body_line)
        problems += parsed.problems
        problems += [Problem(s.location, "links to .md pages work only in the handbook",
                             "link to the published page instead") for s in parsed.fragments.slots
                     if isinstance(s, PageLink)]
        written += [(name, alias, front.meta.locate(("aliases", i))) for i, alias in enumerate(meta.aliases)]
        if not meta.draft:
            pages.append(CirclePage(name, meta, parsed.fragments, name))
    olds, found = page_aliases(written, names, lambda old: old not in RESERVED_PAGES and bool(SAFE_SLUG.fullmatch(old)))
    found += _step_alias_clashes(moved, {name: Location(shown(path)) for path in paths
                                         if (name := plain_name(path.name).removesuffix(PAGE_SUFFIX))}, written)
    pages = sorted((replace(p, aliases=olds.get(p.name, ())) for p in pages), key=lambda p: (p.meta.order, p.meta.title))
    return pages, problems + found


def _step_alias_clashes(moved: tuple[tuple[str, Location], ...], pages: dict[str, Location],
                        written: list[tuple[str, str, Location]]) -> list[Problem]:
    """A step's alias (redirected in every circle's site) at the address of one of this circle's
    own pages or their old names: located at the step's alias, naming the circle's file."""
    taken = {fold(f"{name}/"): (f"{name}/", f"the address of the circle's page {where.path}") for name, where in pages.items()}
    taken |= {fold(f"{alias.strip().removesuffix('/')}/"): (f"{alias.strip().removesuffix('/')}/",
                                                            f"an old name of the circle's page {where.path} ({where})")
              for page, alias, where in written}
    return [Problem(where, f"the alias '{folder}' would redirect at '{taken[fold(folder)][0]}' in each circle's site, "
                    f"which is {taken[fold(folder)][1]}", "give the alias another address, or rename the circle's page")
            for folder, where in moved if fold(folder) in taken]


_PLACEHOLDERS = {"name": "draft", "timezone": "UTC", "term": {"start": "2000-01-01", "months": 24}}
_ITEM_LISTS = ("members", "sessions", "topics", "evaluations")


def _follow_on(spec: CircleSpec, doc: Document, steps: StepIds | None, kept: dict[str, list[int]],
               replaced: set[str], schema_problems: list[Problem]) -> list[Problem]:
    """The cross-field errors in what did pass the schema: every problem in one run, without
    follow-ons of the schema's (a failed member's id is still a member, and with a member's id itself unreadable nobody is
    reported as unknown; no term, no term check)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    members = data.get("members") if isinstance(data.get("members"), list) else []
    failed = frozenset(str(m["id"]) for i, m in enumerate(members) if isinstance(m, dict) and "id" in m
                       and i not in kept.get("members", range(len(members))))
    found = check_spec(spec, _Renumbered(doc, kept), steps, meetings(spec), also_known=failed)
    members_lost = bool(data.get("members")) and not spec.members and "members" not in kept  # the whole key failed
    members_lost = members_lost or any(p.message.endswith("is not a valid member id") and p.location.line in {
        doc.locate(("members", i, "id")).line for i in range(len(members))} for p in schema_problems)
    return [p for p in found if p.is_error and not ("term" in replaced and "outside the term" in p.message)
            and not (members_lost and "is not a member" in p.message)]


def load_circle(path: Path, shown: Shown, steps: StepIds | None, default_agreement: Fragments | None,
                *, with_pages: bool = True, digest: str = "",
                pages: list[Path] | None = None) -> tuple[Circle | None, list[Problem]]:
    """Read and check one `circle.yaml` (plain or sealed, and the pages beside it, or `pages`);
    None when it has errors.

    `steps` are the handbook's steps, None when the handbook itself failed to load (or is not needed).
    """
    folder = path.parent
    try:
        doc = load_yaml(read_source(path, shown(path)), shown(path))
    except CirclepressError as exc:
        return None, list(exc.problems)
    spec, schema_problems, kept, replaced = validate_partly(CircleSpec, doc, _PLACEHOLDERS, _ITEM_LISTS)
    if schema_problems:
        return None, schema_problems + (_follow_on(spec, doc, steps, kept, replaced, schema_problems) if spec else [])
    schedule = meetings(spec)
    problems = check_spec(spec, doc, steps, schedule)
    slug = spec.slug or folder.name
    if problem := slug_problem(slug):
        problems.append(_err(doc, ("slug",) if spec.slug else (), problem[0],
                             problem[1] + "; rename the folder or set 'slug:'"))
    problems += access_problems(spec, doc, slug)
    topics = tuple(Topic(t.title, _field_markdown(t.notes, doc, ("topics", i, "notes"), problems),
                         t.proposed_by and next((m.name for m in spec.members if m.id == t.proposed_by), None))
                   for i, t in enumerate(spec.topics))
    own = _field_markdown(spec.agreement.text, doc, ("agreement", "text"), problems)
    if own is None and default_agreement is None and steps is not None:
        problems.append(_err(doc, ("agreement",), "the circle has no agreement text and the handbook has no "
                             "agreement.md", "add 'agreement: text:' or content/agreement.md"))
    if with_pages and pages is None:
        pages = circle_files(folder, shown)[0][1:]
    pages, page_problems = _load_pages(pages, shown, steps.moved if steps else ()) if with_pages else ([], [])
    problems += page_problems
    if any(p.is_error for p in problems):
        return None, problems
    circle = Circle(slug, spec, shown(path), schedule, topics, own or default_agreement,
                    own is None, tuple(pages), doc.locate(("slug",)), f"circles/{slug}/", digest,
                    doc.locate(("access", "key")), resolved(spec, steps))
    return circle, problems


def circle_folders(sites_dir: Path) -> list[Path]:
    """The folders under `sites_dir` that hold circles, sorted."""
    try:
        with os.scandir(sites_dir) as entries:
            names = sorted(e.name for e in entries if e.is_dir() and not e.name.startswith((".", "_")))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [sites_dir / name for name in names]


def folder_collisions(folders: list[Path], shown: Shown) -> list[Problem]:
    """Circle folders whose names differ only in case or Unicode form (one folder on macOS and Windows)."""
    return collisions([(f"{folder.name}/", Location(shown(folder))) for folder in folders], "the folder is named")


def handbook_facts(steps: StepIds | None, default_agreement: Fragments | None) -> str:
    """A digest of what a circle is checked against (the handbook's steps and agreement)."""
    return value_stamp(steps, default_agreement)


def load_circle_folder(folder: Path, shown: Shown, steps: StepIds | None,
                       default_agreement: Fragments | None, memo: Memo = NoMemo(),
                       facts: str | None = None, *, require_sealed: bool = False
                       ) -> tuple[Circle | None, list[Problem]]:
    """One circle's folder; with a `memo`, not read again while its files (and the handbook
    facts, `handbook_facts`: given, it is not made again for every circle) are unchanged.
    Under `require_sealed`, a private circle's plaintext files are errors."""
    files, both = circle_files(folder, shown)
    if both:
        return None, both
    if not files or plain_name(files[0].name) != CIRCLE_FILE:
        return None, [Problem(Location(shown(folder)), f"folder has no {CIRCLE_FILE}",
                              "add one with `circlepress new circle SLUG`, or move the folder out of sites/")]
    escapes = [e for e in (escaping_link(path, folder, shown(path)) for path in files) if e]
    if escapes:  # a file linking out of its circle's folder is never published as the circle's
        return None, escapes
    facts = facts if facts is not None else handbook_facts(steps, default_agreement)
    sealed = any(path.name.endswith(AGE_SUFFIX) for path in files)  # what opens them is an input too
    stamp = value_stamp(memo.content_stamp(*files), facts, identities().public_keys() if sealed else None)
    circle, problems = memo.get(("circle", str(folder)), stamp, lambda: load_circle(
        files[0], shown, steps, default_agreement, digest=stamp, pages=files[1:]))
    if require_sealed and circle is not None and circle.is_private:
        problems = problems + [Problem(Location(shown(path)), "this private circle's file is not sealed, and "
                                       "require_sealed is on", f"run `circlepress seal {circle.slug}`")
                               for path in files if not path.name.endswith(AGE_SUFFIX)]
    return circle, problems


def circle_path(project: Project, slug: str) -> Path:
    """sites/SLUG/circle.yaml or circle.yaml.age, or a located error naming the circles there are."""
    folder = project.sites_dir / slug
    found = [p for p in (folder / CIRCLE_FILE, folder / (CIRCLE_FILE + AGE_SUFFIX)) if p.is_file()]
    if len(found) == 1:
        return found[0]
    if found:
        raise CirclepressError(circle_files(folder, project.shown)[1])
    known = sorted(p.name for p in circle_folders(project.sites_dir) if circle_files(p, project.shown)[0])
    raise CirclepressError([Problem(Location(project.shown(folder / CIRCLE_FILE)), f"there is no circle '{slug}'",
                                    suggest(slug, known) if known else "create one with `circlepress new circle`")])


def duplicate_keys(circles: list[tuple[str | None, str, str, Location | None]]) -> list[Problem]:
    """Each circle's (key digest or None, slug, source, where its key is set), in folder order: a
    key used again (a circle folder copied to start another) would publish both at one address."""
    seen: dict[str, str] = {}
    problems = []
    for key_id, slug, source, at in circles:
        if key_id is None:
            continue
        if key_id in seen:
            problems.append(Problem(at, f"this circle has the same access key as {seen[key_id]}",
                                    f"run `circlepress rotate {slug}` to give it its own"))
        else:
            seen[key_id] = source
    return problems


def duplicate_slugs(circles: list[tuple[str, str, Location]]) -> list[Problem]:
    """Each circle's (slug, source, where its slug is set), in folder order: a slug used again."""
    seen: dict[str, str] = {}
    problems = []
    for slug, source, at in circles:
        if slug in seen:
            problems.append(Problem(at, f"circle slug '{slug}' is also used by {seen[slug]}",
                                    "give each circle its own slug"))
        else:
            seen[slug] = source
    return problems


def load_circles(sites_dir: Path, shown: Shown, steps: StepIds | None, default_agreement: Fragments | None,
                 memo: Memo = NoMemo(), *, require_sealed: bool = False
                 ) -> tuple[tuple[Circle, ...], tuple[Problem, ...]]:
    """Every circle under `sites_dir` that loaded, sorted by slug, and every problem found
    (errors and warnings) in folder order.

    With a `memo`, a circle whose files (and handbook facts) are unchanged is not read again.
    """
    circles: list[Circle] = []
    problems: list[Problem] = []
    facts = handbook_facts(steps, default_agreement)
    folders = circle_folders(sites_dir)
    problems += folder_collisions(folders, shown)
    for folder in folders:
        circle, found = load_circle_folder(folder, shown, steps, default_agreement, memo, facts,
                                           require_sealed=require_sealed)
        problems += found
        if circle is not None:
            circles.append(circle)
    problems += duplicate_slugs([(c.slug, c.source, c.slug_at) for c in circles])
    problems += duplicate_keys([(c.key_id, c.slug, c.source, c.key_at) for c in circles])
    return tuple(sorted(circles, key=lambda c: c.slug)), tuple(problems)

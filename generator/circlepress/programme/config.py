"""The site config (`circlepress.yaml`) and the paths a build reads from and writes to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from .errors import CirclepressError, Location, Problem, Severity
from .resources import packaged
from .schema import FORM_HINT, MAX_LINE, Evaluation, Model, form_unmatched
from .source import Document, load_yaml, published_files, read_text
from .urls import unseen
from .validation import validate

CONFIG_NAME = "circlepress.yaml"
STATE_DIR = ".circlepress"  # the build state and the record of what was written
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")


def _check_base_url(value: str) -> str:
    ok = value.startswith("/") or re.fullmatch(r"https?://[^/\s]+(/[^\s?#]*)?", value)
    if not ok or any(c in value for c in " ?#\"'<>") or unseen(value) is not None:
        raise PydanticCustomError(
            "bad_base_url", "'{value}' is not a base URL",
            {"value": value, "hint": "use '/', '/repo/', 'https://user.github.io/repo/' or 'https://example.org/'"})
    return value


def _check_language(value: str) -> str:
    if not _LANGUAGE.fullmatch(value):
        raise PydanticCustomError("bad_lang", "'{value}' is not a language tag",
                                  {"value": value, "hint": "use a BCP 47 tag such as 'en' or 'en-GB'"})
    return value


class SiteConfig(Model):
    """What a programme coordinator sets in `circlepress.yaml`."""

    title: str = Field("Peer-mentoring circles", min_length=1, max_length=MAX_LINE,
                       description="the site's name, in every page's title and header",
                       examples=["Postdoc peer-mentoring circles"])
    description: str = Field("A guide to starting and running peer-mentoring circles.",
                             description="one sentence on the home page and in search results",
                             examples=["A guide to peer-mentoring circles for early-career researchers."])
    base_url: Annotated[str, AfterValidator(_check_base_url)] = Field(
        "/", description="where the site is published: '/', '/repo/' or a full URL (with a host, a sitemap is "
        "written too); `--base-url` overrides it", examples=["https://user.github.io/repo/"])
    theme: str = Field("default", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                       description="the folder under themes/ to use; files it lacks come from the default theme",
                       examples=["ours"])
    language: Annotated[str, AfterValidator(_check_language)] = Field(
        "en", description="the pages' language (BCP 47), which also sets how dates and times are written",
        examples=["en-GB"])
    output: str = Field("_site", min_length=1, description="the folder the site is written to", examples=["public"])
    content: str = Field("content", min_length=1, description="the handbook's folder of markdown pages (without it, "
                         "the stock handbook is used)", examples=["handbook"])
    sites: str = Field("sites", min_length=1, description="the folder holding one folder per circle",
                       examples=["circles"])
    require_sealed: bool = Field(False, description="true: a private circle kept in plain text is an error until "
                                 "`circlepress seal` seals it (programmes made by `circlepress new` set it)",
                                 examples=[True])
    evaluation: Evaluation = Field(default_factory=Evaluation, description="evaluation rounds: the form link "
                                   "every circle's rounds use and how long a round stays open (step 12)",
                                   examples=[{"form": "https://forms.example.org/f?circle={circle}&round={round}",
                                              "open_days": 21}])


def split_base_url(base_url: str) -> tuple[str, str]:
    """('https://host', '/path/') for an absolute base URL, ('', '/path/') for a path."""
    match = re.fullmatch(r"(https?://[^/]+)(/.*)?", base_url)
    origin, path = (match.group(1), match.group(2) or "/") if match else ("", base_url)
    return origin, path if path.endswith("/") else path + "/"


@dataclass(frozen=True)
class Project:
    """A programme's sources, theme chain and output, resolved from its config."""

    root: Path
    config: SiteConfig
    content_dir: Path
    sites_dir: Path
    theme_dirs: tuple[Path, ...]
    output_dir: Path
    drafts: bool = False  # `--drafts`: publish pages marked `draft: true`, marked as drafts
    config_doc: Document | None = field(default=None, compare=False, repr=False)  # to locate a setting

    def config_at(self, *keys: str | int) -> Location:
        """Where a setting is in circlepress.yaml (its file's start when it is not written there)."""
        return self.config_doc.locate(keys) if self.config_doc is not None else Location(CONFIG_NAME)

    def config_problems(self) -> list[Problem]:
        """Warnings about circlepress.yaml's values: a form link whose answers cannot be matched."""
        form = self.config.evaluation.form
        if form and (unmatched := form_unmatched(form)):
            return [Problem(self.config_at("evaluation", "form"), unmatched, FORM_HINT, Severity.WARNING)]
        return []

    @property
    def origin(self) -> str:
        return split_base_url(self.config.base_url)[0]

    @property
    def base_path(self) -> str:
        return split_base_url(self.config.base_url)[1]

    def shown(self, path: Path) -> str:
        """A path as messages show it: relative to the project root when inside it."""
        plain = path.is_absolute() and ".." not in path.parts  # most paths are built from the resolved root
        for candidate in (path, path.resolve()) if plain else (path.resolve(),):
            try:
                return candidate.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return str(path)

    def theme_static(self) -> tuple[dict[str, Path], list[Problem]]:
        """The themes' static/ files by output path (the most specific theme wins), and a problem
        for each link there that leaves its theme's folder."""
        files: dict[str, Path] = {}
        problems: list[Problem] = []
        for theme in reversed(self.theme_dirs):
            static = theme / "static"
            found, escapes = published_files(static, self.shown, within=theme, hidden=(".",)) \
                if static.is_dir() else ([], [])
            files.update(("assets/" + rel.as_posix(), path) for rel, path in found)
            problems += escapes
        return files, problems

    @property
    def source_dirs(self) -> tuple[Path, ...]:
        return (self.content_dir, self.sites_dir, *self.theme_dirs)


def load_project(root: Path, *, base_url: str | None = None, output: Path | None = None,
                 drafts: bool = False) -> Project:
    """Read `circlepress.yaml` (all keys optional) and resolve every path it names."""
    root = root.resolve()
    path = root / CONFIG_NAME
    doc = load_yaml(read_text(path, CONFIG_NAME), CONFIG_NAME) if path.exists() \
        else Document(CONFIG_NAME, {}, {(): (1, 1)})
    data = dict(doc.data or {}) if isinstance(doc.data, dict) or doc.data is None else doc.data
    if base_url is not None and isinstance(data, dict):
        data["base_url"] = base_url
    config = validate(SiteConfig, Document(doc.path, data, doc.values, doc.keys))
    content = _source_dir(root, config.content, "content")
    sites = root / config.sites
    themes = _theme_chain(root, config.theme, doc)
    out = output if output is not None else root / config.output
    out = (out if out.is_absolute() else Path.cwd() / out).resolve()
    kept_apart = ((f"{config.sites}/", sites, "sites"), (".git/", root / ".git", None),
                  (f"{STATE_DIR}/", root / STATE_DIR, None),
                  *([(f"the output folder {config.output}/", out, "output")] if output is None else []))
    # (an output folder given with --out is the writer's to refuse, as it refuses every dangerous one)
    problems = [_misplaced(root, folder, kept_apart, doc, key, shown)
                for key, folder, shown in (("content", content, config.content),
                                           ("theme", themes[0], f"themes/{config.theme}"))
                if folder.resolve() not in _STOCK]  # the copies packaged with circlepress are fine
    if any(problems):
        raise CirclepressError([p for p in problems if p])
    return Project(root, config, content, sites, themes, out, drafts, doc)


_STOCK = {packaged("content").resolve(), packaged("themes/default").resolve()}
_OWN_PLACE = {"content": "set content: to a folder of its own inside the project, such as content",
              "theme": "make it a folder of its own inside the project, not a link"}


def _misplaced(root: Path, folder: Path, kept_apart: tuple[tuple[str, Path, str | None], ...], doc: Document,
               key: str, shown: str) -> Problem | None:
    """A problem when a folder read for publishing resolves outside the project, or into, onto or
    around a folder that is never published (sites/, .git/, .circlepress/, the output), located at
    the setting that put it there."""
    def where(*keys: str | None) -> Location:
        return next((doc.locate((k,)) for k in keys if (k,) in doc.values), Location(shown))

    real = folder.resolve()
    if not real.is_relative_to(root):
        return Problem(where(key), f"the {key} folder '{shown}' is outside the project", _OWN_PLACE[key])
    for name, other, other_key in kept_apart:
        other = other.resolve()
        if root.is_relative_to(other):
            continue  # an output folder around the project: the writer refuses it
        if real.is_relative_to(other) or other.is_relative_to(real):
            return Problem(where(key, other_key), f"the {key} folder '{shown}' overlaps {name}, "
                           "which is never published from it", _OWN_PLACE[key])
    return None


def _source_dir(root: Path, name: str, stock: str) -> Path:
    """The project's own folder, or the stock copy when the project has none."""
    own = root / name
    return own if own.is_dir() else packaged(stock)


def _theme_chain(root: Path, theme: str, doc: Document) -> tuple[Path, ...]:
    """The theme folders to search, most specific first, ending with the default theme."""
    default = packaged("themes/default").resolve()
    own = (root / "themes" / theme).resolve()
    if own.is_dir():
        return (own,) if own == default else (own, default)
    if theme == "default":
        return (default,)
    raise CirclepressError([Problem(
        doc.locate(("theme",)), f"theme '{theme}' not found",
        f"create themes/{theme}/ or set theme: default")])

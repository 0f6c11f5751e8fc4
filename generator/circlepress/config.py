"""The site config (`circlepress.yaml`) and the paths a build reads from and writes to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from .errors import CirclepressError, Problem
from .resources import packaged
from .schema import MAX_LINE, Model
from .source import Document, load_yaml, read_text
from .urls import unseen
from .validation import validate

CONFIG_NAME = "circlepress.yaml"
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

    title: str = Field("Peer-mentoring circles", min_length=1, max_length=MAX_LINE)
    description: str = "A guide to starting and running peer-mentoring circles."
    base_url: Annotated[str, AfterValidator(_check_base_url)] = "/"
    theme: str = Field("default", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    language: Annotated[str, AfterValidator(_check_language)] = "en"
    output: str = Field("_site", min_length=1)
    content: str = Field("content", min_length=1)
    sites: str = Field("sites", min_length=1)


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

    @property
    def source_dirs(self) -> tuple[Path, ...]:
        return (self.content_dir, self.sites_dir, *self.theme_dirs)


def load_project(root: Path, *, base_url: str | None = None, output: Path | None = None) -> Project:
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
    out = out if out.is_absolute() else Path.cwd() / out
    return Project(root, config, content, sites, themes, out.resolve())


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

"""Problems a user can cause, each with a location and, where one exists, a fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
import traceback
from pathlib import Path


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based position in a source file."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


def _visible(text: str) -> str:
    """`text` with line breaks, control and invisible characters escaped ('\\u202e'), so a message
    shows them and is never reordered or split by them."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where, what, and how to fix it."""

    location: Location
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        """Render as `path:line:column: message (hint)`, warnings marked as such."""
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        text = f"{self.location}: {prefix}{self.message}"
        return _visible(f"{text} ({self.hint})" if self.hint else text)

    @classmethod
    def from_template_error(cls, exc: Exception, template: str, shown=str, page: str = "") -> Problem:
        """Any error a template raised, located in the template file (and line) that raised it;
        `page` is the output being rendered."""
        name, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
        if not name:  # a runtime error: Jinja rewrites the traceback to template lines
            frames = [(f.f_code.co_filename, n) for f, n in traceback.walk_tb(exc.__traceback__)]
            name, line = next(((f, n) for f, n in reversed(frames) if f.endswith((".html", ".xml", ".txt"))),
                              (template, 1))
        from jinja2 import TemplateError  # only now: a build with nothing to do loads no Jinja

        what = (exc.message or exc) if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"  # one line
        return cls(Location(shown(Path(name)) if Path(name).is_absolute() else name, line or 1, 1),
                   f"template error: {what}" + (f", rendering {page}" if page else ""),
                   "fix the template, or remove the override to use the default theme's")

    @classmethod
    def from_os_error(cls, exc: OSError, shown=str) -> Problem:
        """A file that could not be read or written (the disk, or a file moved mid-build)."""
        name = exc.filename2 or exc.filename  # os.replace's target, or the one file
        return cls(Location(shown(Path(name)) if name else "."), f"the build stopped: {exc.strerror or exc}",
                   "check the file, the folder and the free space; the next build does everything again")

    def as_error(self) -> Problem:
        return Problem(self.location, self.message, self.hint, Severity.ERROR)


class CirclepressError(Exception):
    """Raised to stop a run; carries every problem found so far."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(sorted(problems, key=lambda p: p.location))
        super().__init__("\n".join(p.format() for p in self.problems))

    def __reduce__(self):  # so a render worker can hand its problems back to the main process
        return type(self), (self.problems,)

"""What `content/` may publish beside its pages: inert files only, checked against their bytes.

A file published from `content/` is served from the site's own origin, where a member's key to
a private circle is kept: anything a browser would run there (HTML, scripts, styles, XML, an
SVG with a script in it) could read that key and send it away. So only file types a browser
shows or downloads are published, each checked to be what its extension says, and an SVG only
when a real XML parser finds nothing in it that runs or reaches outside the file.
"""

from __future__ import annotations

import io
import re
import xml.sax
from pathlib import Path
from typing import Callable
from xml.sax.handler import ContentHandler, feature_namespaces

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from .errors import Location, Problem

SVG = "http://www.w3.org/2000/svg"
XHTML = "http://www.w3.org/1999/xhtml"


def _starts(*signatures: bytes) -> Callable[[bytes], bool]:
    return lambda data: data.startswith(signatures)


def _text(data: bytes) -> bool:
    """UTF-8 text that no browser would sniff as HTML or XML (which all begin with '<')."""
    try:
        return not data.decode("utf-8").lstrip("\ufeff \t\r\n\f").startswith("<")
    except UnicodeDecodeError:
        return False


_TEXT = "plain UTF-8 text (text beginning with '<' could be taken for HTML)"


def _avif(data: bytes) -> bool:
    size = int.from_bytes(data[:4], "big")
    return data[4:8] == b"ftyp" and any(brand in data[8:max(size, 16)] for brand in (b"avif", b"avis"))


_OFFICE = (_starts(b"PK\x03\x04"), "an office document (a zip file)")  # OOXML and OpenDocument, no macro types
_JPEG = (_starts(b"\xff\xd8\xff"), "a JPEG image")
# extension -> a check of its bytes, and what that check asks for
INERT: dict[str, tuple[Callable[[bytes], bool], str]] = {
    ".png": (_starts(b"\x89PNG\r\n\x1a\n"), "a PNG image"), ".jpg": _JPEG, ".jpeg": _JPEG,
    ".gif": (_starts(b"GIF87a", b"GIF89a"), "a GIF image"),
    ".webp": (lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP", "a WebP image"), ".avif": (_avif, "an AVIF image"),
    ".ico": (_starts(b"\x00\x00\x01\x00"), "an icon"), ".pdf": (_starts(b"%PDF-"), "a PDF document"),
    ".txt": (_text, _TEXT), ".csv": (_text, _TEXT), ".docx": _OFFICE, ".xlsx": _OFFICE, ".pptx": _OFFICE,
    ".odt": _OFFICE, ".ods": _OFFICE, ".odp": _OFFICE, ".svg": (lambda d: True, "an SVG image"),  # see _SvgCheck
}
ALLOWED = ", ".join(sorted(INERT))
_FORBIDDEN = {"script": "a script", "foreignObject": "foreignObject (HTML inside the image)",
              "handler": "an event handler", "listener": "an event listener"}
_LOCAL = re.compile(r"\s*(#|data:image/(png|jpeg|gif|webp)[;,]|$)", re.IGNORECASE)
_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.IGNORECASE)
_CSS_OUT = re.compile(r"@import|image-set|\\", re.IGNORECASE)  # other ways a style reaches a file
_SVG_HINT = "publish only SVGs with no script, event handler, foreignObject, DOCTYPE or reference to another " \
            "file; exporting it as .png always works"


def inert_problems(path: Path, shown: str) -> list[Problem]:
    """Why a file in content/ cannot be published (empty when it is an inert file of an allowed type)."""
    check, what = INERT.get(path.suffix.lower(), (None, ""))
    if check is None:
        what = f"a '{path.suffix}' file" if path.suffix else "a file without an extension"
        return [Problem(Location(shown), f"{what} is not published from content/: only inert files are, "
                        "as anything a browser runs could read a private circle's key",
                        f"allowed: {ALLOWED}; write pages as .md")]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [Problem(Location(shown), f"cannot read the file: {exc.strerror or exc}",
                        "check that it is a file you can read, then build again")]
    if not check(data):
        return [Problem(Location(shown), f"the file is not {what}, as its extension {path.suffix} says",
                        "save it in the format its extension names, or give it the extension of its format")]
    return _SvgCheck(shown).run(data) if path.suffix.lower() == ".svg" else []


class _SvgCheck(ContentHandler):
    """Reads an SVG with defusedxml (no DTD, no entities) and notes everything that could run
    or load another file, at the line and column of its element."""

    def __init__(self, shown: str):
        super().__init__()
        self.shown, self.problems, self.depth, self.style = shown, [], 0, None
        self.style_at: Location | None = None
        self.locator: xml.sax.xmlreader.Locator | None = None

    def run(self, data: bytes) -> list[Problem]:
        parser = DefusedExpatParser(forbid_dtd=True)
        parser.setFeature(feature_namespaces, True)
        parser.setContentHandler(self)
        try:
            parser.parse(io.BytesIO(data))
        except xml.sax.SAXParseException as exc:
            self.problems.append(Problem(Location(self.shown, exc.getLineNumber(), exc.getColumnNumber() + 1),
                                         f"the SVG is not well-formed XML: {exc.getMessage()}",
                                         "open it in an editor and save it again, or export it as .png"))
        except DefusedXmlException:
            self.fail("the SVG declares a DOCTYPE or entities, which can reach other files")
        return self.problems

    def here(self) -> Location:
        line, column = (self.locator.getLineNumber(), self.locator.getColumnNumber()) if self.locator else (1, 0)
        return Location(self.shown, line or 1, (column or 0) + 1)

    def fail(self, message: str, at: Location | None = None) -> None:
        self.problems.append(Problem(at or self.here(), message, _SVG_HINT))

    def processingInstruction(self, target: str, data: str) -> None:
        self.fail(f"the SVG holds the processing instruction <?{target}?>, which can load another file")

    def startElementNS(self, name: tuple[str | None, str], qname, attrs) -> None:
        space, local = name
        if self.depth == 0 and name != (SVG, "svg"):
            self.fail(f"the file is not an SVG image: its root element is <{local}>, not "
                      f"<svg xmlns=\"{SVG}\">")
        self.depth += 1
        if local in _FORBIDDEN or space == XHTML:
            self.fail(f"the SVG holds {_FORBIDDEN.get(local, f'the HTML element <{local}>')}, which could run code")
        if local == "style":
            self.style, self.style_at = "", self.here()
        for (_, attr), value in attrs.items():
            if attr.lower().startswith("on"):
                self.fail(f"the SVG has the event handler {attr}= on <{local}>, which runs code")
            elif attr in ("href", "src", "base") and not _LOCAL.match(value):  # base: xml:base
                self.fail(f"<{local}> refers to '{value[:60]}', outside the file")
            elif attr == "attributeName" and value.split(":")[-1].lower().startswith(("href", "src", "on")):
                self.fail(f"<{local}> animates {value}=, which can make a link or a handler")
            else:  # a style, or an animation's values (which can set a style)
                self.css(value, f"the {attr}= of <{local}>", styles=attr in ("style", "to", "from", "values", "by"))

    def characters(self, content: str) -> None:
        if self.style is not None:
            self.style += content

    def endElementNS(self, name: tuple[str | None, str], qname) -> None:
        self.depth -= 1
        if name[1] == "style" and self.style is not None:
            self.css(self.style, "a <style>", styles=True, at=self.style_at)
            self.style = None

    def css(self, text: str, where: str, *, styles: bool, at: Location | None = None) -> None:
        """A value reaches another file through url(); styles also through @import and image-set,
        and a CSS escape could hide any of them."""
        outside = [u for u in _URL.findall(text) if not _LOCAL.match(u)]
        other = _CSS_OUT.search(text) if styles else None
        if outside or other:
            what = f"refers to '{outside[0][:60]}', outside the file" if outside else \
                "uses a CSS escape, which could hide a reference to another file" if other.group() == "\\" else \
                f"uses {other.group()}, which loads other files"
            self.fail(f"{where} {what}", at)

    def setDocumentLocator(self, locator) -> None:
        self.locator = locator

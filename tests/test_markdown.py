"""Markdown parsed once into fragments: shortcodes, page links, unsafe links, raw HTML."""

from __future__ import annotations

import json
import shutil

from circlepress.programme.markdown import FileLink, PageLink, parse_markdown
from circlepress.programme.schema import circle_json_schema

from conftest import REPO


def test_shortcodes_become_slots_with_their_location():
    parsed = parse_markdown("Intro\n\n{{< sessions >}}\n\nWe are {{< circle-name >}}.\n", "p.md", first_line=4)
    slots = parsed.fragments.slots
    assert [(s.name, s.block, s.location.line) for s in slots] == [("sessions", True, 6), ("circle-name", False, 8)]
    html = parsed.fragments.fill(lambda s: f"[{s.name}]")
    assert "<p>Intro</p>\n[sessions]<p>We are [circle-name].</p>" in html


def test_links_to_pages_are_resolved_from_the_source_folder():
    parsed = parse_markdown("[next](09-focus.md#plans) and [home](../index.md)", "steps/08.md", source_dir="steps")
    links = [s for s in parsed.fragments.slots if isinstance(s, PageLink)]
    assert [(link.target, link.fragment) for link in links] == [("steps/09-focus.md", "plans"), ("index.md", "")]


def test_files_beside_a_page_are_resolved_from_its_folder_or_from_content():
    text = "![a](../images/a.png) [b](/forms/b%20c.pdf#page=2) ![c](c.svg) [out](../../x.png)"
    parsed = parse_markdown(text, "content/steps/08.md", source_dir="steps", files=True)
    files = [(s.target, s.fragment, s.location.column) for s in parsed.fragments.slots if isinstance(s, FileLink)]
    at = lambda written: text.index("(" + written) + 2  # noqa: E731 - the column the link's path starts at
    assert files == [("images/a.png", "", at("../images")), ("forms/b c.pdf", "page=2", at("/forms")),
                     ("steps/c.svg", "", at("c.svg"))]
    assert [(p.location.column, p.message.split(" leads")[0]) for p in parsed.problems] == \
        [(at("../../x"), "link '../../x.png'")]


def test_unsafe_links_are_located_errors_and_never_rendered():
    parsed = parse_markdown("ok\n\n[x](javascript:alert(1)) ![y](data:text/html,hi) [z](VBScript:msgbox)\n",
                            "p.md", first_line=3)
    assert [(p.location.line, p.message.split("'")[-2]) for p in parsed.problems] == [
        (5, "javascript:"), (5, "data:"), (5, "VBScript:")]
    assert "javascript:" not in parsed.fragments.fill(str)


def test_raw_html_is_shown_as_text():
    html = parse_markdown("<script>alert(1)</script>\n\nx <b onclick=y>b</b>", "p.md").fragments.fill(str)
    assert "<script>" not in html and "<b " not in html and "&lt;script&gt;" in html


def test_committed_json_schema_is_current():
    """Editors read schema/circle.schema.json; regenerate it when the schema changes."""
    committed = (REPO / "schema" / "circle.schema.json").read_text()
    assert committed == circle_json_schema()
    schema = json.loads(committed)
    assert schema["properties"]["members"]["maxItems"] == 10
    assert "facilitators" in schema["$defs"]["Session"]["properties"]


def ids(html: str) -> list[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class Ids(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(value for name, value in attrs if name == "id")

    Ids().feed(html)
    return found


def test_heading_ids_never_take_the_themes_ids_or_each_others(make_site, tmp_path):
    """`## Menu` would take the header's #menu; a heading written twice, or the same heading in
    the page and in the circle's agreement or topic notes that a shortcode shows, would repeat
    an id (footnotes' too). Every page of the site, private ones opened, has each id once."""
    from private_support import keys_for, open_page, private

    from circlepress.private.keys import page_folder

    from circlepress.build.pipeline import build
    from circlepress.programme.config import load_project
    from conftest import NOW, VALID_CIRCLE

    notes = "{title: %s, notes: \"## Setup\\n\\nText[^1].\\n\\n## Main\\n\\n[^1]: Its note.\\n\"}"
    circle = VALID_CIRCLE + "agreement:\n  text: |\n    ## Menu\n\n    We agree.\n\n    ## Setup\n" \
        + "topics:\n  - " + notes % "One" + "\n  - " + notes % "Two" + "\n"
    shutil.copytree(REPO / "content", make_site().joinpath("content"))
    page = ("---\ntitle: Ours\n---\n## Main\n\n## Menu\n\n## Setup\n\n### Setup\n\n## Content\n\n{{< agreement >}}\n\n"
            "{{< topics >}}\n\nOurs[^1].\n\n[^1]: A footnote: its ids are the page's own too.\n")
    root = make_site({"sites/lab-a/circle.yaml": circle, "content/ours.md": page, "sites/lab-a/ours.md": page,
                      "sites/lab-b/circle.yaml": private(circle, "lab-b"),
                      "sites/lab-b/ours.md": page})
    build(load_project(root, output=tmp_path / "out"), now=NOW)
    out = tmp_path / "out"
    pages = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.html")
             if not p.relative_to(out).as_posix().startswith("p/")}
    own = page_folder(keys_for("lab-b"), "ours") + "/index.html"  # a private circle's own page: named by its keys
    pages.update({f"lab-b {name}": open_page(out, "lab-b", path)
                  for name, path in (("index.html", "index.html"), ("ours/index.html", own),
                                     ("agreement/index.html", "agreement/index.html"),
                                     ("topics/index.html", "topics/index.html"))})
    for name, html in pages.items():
        found = ids(html)
        assert len(found) == len(set(found)), (name, sorted(i for i in found if found.count(i) > 1))
    ours = ids(pages["circles/lab-a/ours/index.html"])
    assert {"main", "menu", "main-2", "menu-2", "setup", "setup-2", "setup-3", "setup-4"} <= set(ours), ours
    assert {"main-2", "menu-2", "content"} <= set(ids(pages["ours/index.html"]))
    assert {"main-2", "menu-2", "setup-2"} <= set(ids(pages["lab-b ours/index.html"]))

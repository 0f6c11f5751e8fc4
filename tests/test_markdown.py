"""Markdown parsed once into fragments: shortcodes, page links, unsafe links, raw HTML."""

from __future__ import annotations

import json

from circlepress.markdown import PageLink, parse_markdown
from circlepress.schema import circle_json_schema

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

"""The configuration reference, made from the pydantic models so it cannot drift from them: the JSON
Schemas editors read (`schema/circlepress.schema.json`, `schema/circle.schema.json`,
`schema/questionnaire.schema.json`) and the page
`docs/configuration.md`, which walks those same schemas (every key, nested ones included, with its
type, default, example and description), so a key added to a model appears in both."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from .config import SiteConfig
from .questionnaire_schema import QuestionnaireSpec
from .schema import CLOCK_PATTERN, CircleSpec

DRAFT = "https://json-schema.org/draft/2020-12/schema"
# (file, command that prints it): the test that compares the committed files names the command.
FILES = {
    "schema/circlepress.schema.json": "circlepress schema circlepress.yaml > schema/circlepress.schema.json",
    "schema/circle.schema.json": "circlepress schema circle.yaml > schema/circle.schema.json",
    "schema/questionnaire.schema.json": "circlepress schema questionnaire.yaml > schema/questionnaire.schema.json",
    "docs/configuration.md": "circlepress schema --markdown > docs/configuration.md",
}


def site_schema() -> dict[str, Any]:
    """The JSON Schema of circlepress.yaml."""
    return {"$schema": DRAFT, **SiteConfig.model_json_schema(), "title": "circlepress circlepress.yaml"}


def circle_schema() -> dict[str, Any]:
    """The JSON Schema of circle.yaml."""
    return CircleSpec.model_json_schema()


def questionnaire_schema() -> dict[str, Any]:
    """The JSON Schema of questionnaire.yaml."""
    return {"$schema": DRAFT, **QuestionnaireSpec.model_json_schema(), "title": "circlepress questionnaire.yaml"}


SCHEMAS = {"circlepress.yaml": site_schema, "circle.yaml": circle_schema, "questionnaire.yaml": questionnaire_schema}


def as_json(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def site_json_schema() -> str:
    """schema/circlepress.schema.json as committed."""
    return as_json(site_schema())


def generated() -> dict[str, str]:
    """Every generated file by its path in the repository."""
    from .schema import circle_json_schema

    return {"schema/circlepress.schema.json": site_json_schema(),
            "schema/circle.schema.json": circle_json_schema(),
            "schema/questionnaire.schema.json": as_json(questionnaire_schema()),
            "docs/configuration.md": configuration_markdown()}


# ---- the page -------------------------------------------------------------------------------

def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A property's schema with a `$ref` replaced by its definition (the property's own keys win)."""
    if "$ref" in prop:
        target = defs[prop["$ref"].rsplit("/", 1)[-1]]
        return {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
    return prop


def _alternatives(prop: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a property (one, unless it is an `anyOf`)."""
    options = prop.get("anyOf") or prop.get("oneOf") or [prop]
    return [_resolve(o, defs) for o in options if o.get("type") != "null"]


def _type(prop: dict[str, Any], defs: dict[str, Any], plural: bool = False) -> str:
    names = []
    for option in _alternatives(prop, defs):
        names.append(_one_type(option, defs, plural))
    return " or ".join(dict.fromkeys(names)) or "any value"


def _one_type(s: dict[str, Any], defs: dict[str, Any], plural: bool) -> str:
    if "enum" in s:
        return "one of " + ", ".join(f"`{_inline(v)}`" for v in s["enum"])
    if "const" in s:
        return f"`{_inline(s['const'])}`"
    kind = s.get("type")
    if kind == "array":
        text = "list of " + _type(s.get("items", {}), defs, plural=True)
        if "maxItems" in s:
            text += f", up to {s['maxItems']}"
        return text
    if kind == "object" or "properties" in s:
        if "properties" in s:
            return "mappings (keys below)" if plural else "mapping (keys below)"
        value = s.get("additionalProperties")
        if isinstance(value, dict):
            return "mapping of " + _type(value, defs, plural=True) + " by key"
        return "mapping"
    s_ = "s" if plural else ""
    if kind == "string":
        fmt = "time" if s.get("pattern") == CLOCK_PATTERN else s.get("format")
        base = {"date": f"date{s_} (YYYY-MM-DD)", "time": f"time{s_} (HH:MM)", "uri": f"link{s_}",
                "date-time": f"date{s_} and time{s_}"}.get(fmt, "text")
        if "maxLength" in s and fmt is None:
            base += f" (up to {s['maxLength']} characters)"
        return base
    if kind == "integer":
        low, high = s.get("minimum"), s.get("maximum")
        base = f"whole number{s_}"
        if low is not None and high is not None:
            return f"{base} {low} to {high}"
        return base + (f", at least {low}" if low is not None else "") + (f", at most {high}" if high is not None else "")
    if kind == "number":
        return f"number{s_}"
    if kind == "boolean":
        return "`true` or `false`"
    return "any value"


_PLAIN = re.compile(r"'(\d{4}-\d\d-\d\d|\d{1,2})'")  # dates and step numbers need no quotes in circlepress's files


def _inline(value: Any) -> str:
    """A value as it is written in YAML, on one line."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10**6)
    return _PLAIN.sub(r"\1", text.removesuffix("\n").removesuffix("\n...").strip())


def _default(prop: dict[str, Any], required: bool, defs: dict[str, Any]) -> str:
    if required:
        return "**required**"
    if "default" not in prop:
        kinds = {o.get("type") for o in _alternatives(prop, defs)}
        return "empty list" if "array" in kinds else "empty" if "object" in kinds else "none"
    value = prop["default"]
    if value is None:
        return "none"
    if isinstance(value, dict):
        return "the defaults of its keys" if value else "empty"
    if value == [] or value == "":
        return "empty list" if value == [] else "empty"
    return f"`{_cell(_inline(value))}`"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _children(prop: dict[str, Any], path: str, defs: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """The nested models under a property, each with the prefix of its keys' paths."""
    found = []
    for option in _alternatives(prop, defs):
        if "properties" in option:
            found.append((option, path + "."))
        elif option.get("type") == "array":
            found += _children(option.get("items", {}), path + "[]", defs)
        elif isinstance(option.get("additionalProperties"), dict):
            found += _children(option["additionalProperties"], path + ".<key>", defs)
    return found


def _rows(schema: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> list[str]:
    rows = []
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        path = prefix + name
        examples = prop.get("examples") or []
        example = f"`{name}: {_cell(_inline(examples[0]))}`" if examples else ""
        description = prop.get("description") or _resolve(prop, defs).get("description", "")
        rows.append(f"| `{path}` | {_cell(_type(prop, defs))} | {_default(prop, name in required, defs)} "
                    f"| {example} | {_cell(description)} |")
        for child, child_prefix in _children(prop, path, defs):
            rows += _rows(child, defs, child_prefix)
    return rows


def reference_table(schema: dict[str, Any]) -> str:
    """One row per key of a file, nested keys included (`term.start`, `members[].id`)."""
    head = "| key | type | default | example | meaning |\n|---|---|---|---|---|\n"
    return head + "\n".join(_rows(schema, schema.get("$defs", {}))) + "\n"


def configuration_markdown() -> str:
    """docs/configuration.md as committed."""
    return f"""# Configuration reference

<!-- Generated from the pydantic models (generator/circlepress/programme/schema.py, config.py and
     questionnaire_schema.py):
     do not edit by hand. Regenerate with `{FILES["docs/configuration.md"]}`. -->

A programme has two kinds of configuration file: one `circlepress.yaml` at the top of the
programme, and one `circle.yaml` per circle, in `sites/<circle>/`; an optional `questionnaire.yaml`
beside `circlepress.yaml` sets the evaluation rounds' questions. This page lists every key of
each, nested keys included (`term.start` is `start:` under `term:`; `members[].id` is `id:` in each
item of the `members:` list; `<key>` stands for a key you choose). It is made from the same schema
that checks the files, as are the JSON Schemas that editors use to complete and check them as you
type: `schema/circlepress.schema.json`, `schema/circle.schema.json` and
`schema/questionnaire.schema.json` (a file's first line
`# yaml-language-server: $schema=...` points the YAML extension of VS Code to its schema).

Dates are written `2027-01-14`, times `"16:00"` (quoted, 24-hour). A key left out takes its
default; "none" means the key is simply absent.

## `circlepress.yaml`

{SiteConfig.model_json_schema().get("description", "")}

{reference_table(SiteConfig.model_json_schema())}
## `sites/<circle>/circle.yaml`

{CircleSpec.model_json_schema().get("description", "")}

{reference_table(CircleSpec.model_json_schema())}
## `questionnaire.yaml`

{QuestionnaireSpec.model_json_schema().get("description", "")} Optional: without it, every round
asks circlepress's default questionnaire (`circlepress form` prints the one in use).

{reference_table(QuestionnaireSpec.model_json_schema())}"""

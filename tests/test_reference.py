"""The configuration reference (docs/configuration.md) and the editors' JSON Schemas are made from
the pydantic models: committed copies match, every key is described with an example, keys added to
a model appear by themselves, and the YAML files we ship validate against the schemas."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from pydantic import Field

from circlepress.cli import main
from circlepress.programme import reference
from circlepress.programme.schema import CircleSpec, Model

from conftest import REPO, require_tool


@pytest.mark.parametrize("path", sorted(reference.FILES))
def test_the_committed_reference_is_what_the_schema_generates(path):
    committed = (REPO / path).read_text("utf-8") if (REPO / path).exists() else ""
    assert committed == reference.generated()[path], \
        f"{path} differs from the schema: run `PYTHONPATH=generator python -m {reference.FILES[path]}` and commit it"


def test_the_schema_command_prints_the_committed_files():
    for path, command in reference.FILES.items():
        args = command.split(" > ")[0].split()[1:]
        result = subprocess.run([sys.executable, "-m", "circlepress", *args], capture_output=True, text=True,
                                cwd=REPO, env={"PYTHONPATH": str(REPO / "generator"), "PATH": "/usr/bin:/bin"})
        assert result.returncode == 0, result.stderr
        assert result.stdout == (REPO / path).read_text("utf-8"), path
    wrong = CliRunner().invoke(main, ["schema"])
    assert wrong.exit_code == 2 and "give circle.yaml, circlepress.yaml or questionnaire.yaml, or --markdown" \
        in wrong.output


def _properties(schema: dict):
    """(where, name, property) for every key of a schema, nested models' keys included."""
    for where, part in [("", schema), *schema.get("$defs", {}).items()]:
        for name, prop in part.get("properties", {}).items():
            yield where, name, prop


@pytest.mark.parametrize("schema", [reference.site_schema(), reference.circle_schema(), reference.questionnaire_schema()],
                         ids=["config", "circle", "questionnaire"])
def test_every_key_has_a_description_and_an_example(schema):
    missing = [f"{where}.{name}".lstrip(".") for where, name, prop in _properties(schema)
               if not prop.get("description") or not prop.get("examples")]
    assert not missing, "give these fields description= and examples= in programme/schema.py or config.py: " \
        + ", ".join(missing)


def test_the_page_has_a_row_for_every_key_with_its_type_default_and_example():
    page = reference.configuration_markdown()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([^`]+)` \|.*$", page, re.M)}
    for key in ("title", "base_url", "require_sealed", "name", "term.start", "members[].id",
                "members[].unavailable[].from", "sessions[].facilitators", "progress.<key>.status",
                "agreement.agreed[].date", "links.other[].url", "access.passphrase"):
        assert key in rows, key
    assert rows["term.start"] == "| `term.start` | date (YYYY-MM-DD) | **required** | `start: 2027-01-01` " \
        "| the first day of the term |"
    assert "| `defaults.duration` | whole number 15 to 600 | `90` | `duration: 90` |" in rows["defaults.duration"]
    assert "| one of `public`, `private` | `private` | `visibility: public` |" in rows["visibility"]
    assert "| empty list |" in rows["members"] and "up to 10" in rows["members"]
    every = sum(1 for _ in _properties(reference.site_schema())) + sum(1 for _ in _properties(reference.circle_schema()))
    listed = re.findall(r"^\| `[^`]+` \|", page, re.M)
    assert len(listed) >= every  # a model used in two places gives a row at each


def test_a_key_added_to_the_schema_appears_on_the_page():
    """The page walks the schema: another engineer's new section shows up when the page is regenerated."""

    class Question(Model):
        text: str = Field(description="what the form asks", examples=["What did you gain?"])

    class Evaluation(Model):
        anonymous: bool = Field(True, description="answers carry no name", examples=[False])
        questions: list[Question] = Field(default_factory=list, description="the form's questions",
                                          examples=[[{"text": "What did you gain?"}]])

    class Extended(CircleSpec):
        evaluation: Evaluation = Field(Evaluation(), description="the evaluation form", examples=[{"anonymous": False}])

    table = reference.reference_table(Extended.model_json_schema())
    assert "| `evaluation` | mapping (keys below) | the defaults of its keys | `evaluation: {anonymous: false}` " \
        "| the evaluation form |" in table
    assert "| `evaluation.anonymous` | `true` or `false` | `true` | `anonymous: false` | answers carry no name |" in table
    assert "| `evaluation.questions[].text` | text | **required** | `text: What did you gain?` " \
        "| what the form asks |" in table


def test_the_json_schemas_carry_the_same_descriptions_defaults_and_examples():
    site = json.loads((REPO / "schema/circlepress.schema.json").read_text())
    assert site["$schema"].startswith("https://json-schema.org/") and site["additionalProperties"] is False
    assert site["properties"]["language"]["default"] == "en"
    assert site["properties"]["language"]["examples"] == ["en-GB"]
    assert "BCP 47" in site["properties"]["language"]["description"]
    circle = json.loads((REPO / "schema/circle.schema.json").read_text())
    assert circle["$defs"]["Defaults"]["properties"]["duration"]["default"] == 90
    assert circle["$defs"]["Defaults"]["properties"]["duration"]["examples"] == [90]
    page = (REPO / "docs/configuration.md").read_text()
    assert site["properties"]["language"]["description"] in page


SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)\n")


def _shipped(tmp_path):
    """(YAML file, its schema) for the files we ship: this repository's, the starter's, and a new programme's."""
    assert CliRunner().invoke(main, ["new", str(tmp_path / "prog")]).exit_code == 0
    files = [REPO / "circlepress.yaml", REPO / "generator/circlepress/scaffold/starter/circlepress.yaml",
             *sorted((REPO / "sites").glob("*/circle.yaml")), tmp_path / "prog/circlepress.yaml",
             tmp_path / "prog/sites/our-first-circle/circle.yaml"]
    for path in files:
        line = SCHEMA_LINE.match(path.read_text("utf-8"))
        assert line, f"{path} has no `# yaml-language-server: $schema=` first line"
        target = line.group(1)
        if path.parent == REPO / "generator/circlepress/scaffold/starter":
            base = REPO  # the starter's schema is written beside it by `circlepress new`
        else:
            base = path.parent
        schema = (base / target).resolve()
        assert schema.is_file(), f"{path}: {target} does not exist"
        yield path, schema


def test_the_shipped_yaml_files_validate_against_their_json_schemas(tmp_path):
    require_tool(shutil.which("check-jsonschema") is not None, "check-jsonschema (pip install -e '.[test]')")
    pairs = list(_shipped(tmp_path))
    assert len(pairs) >= 6
    assert (tmp_path / "prog/schema/circlepress.schema.json").read_text() == reference.site_json_schema()
    for path, schema in pairs:
        result = subprocess.run(["check-jsonschema", "--schemafile", str(schema), str(path)],
                                capture_output=True, text=True)
        assert result.returncode == 0, f"{path}: {result.stdout}{result.stderr}"
    default = REPO / "generator/circlepress/evaluation/questionnaire.yaml"  # a programme's starting point
    result = subprocess.run(["check-jsonschema", "--schemafile", str(REPO / "schema/questionnaire.schema.json"),
                             str(default)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    wrong = tmp_path / "circlepress.yaml"
    wrong.write_text("titel: Typo\nlanguage: 7\n")
    result = subprocess.run(["check-jsonschema", "--schemafile", str(REPO / "schema/circlepress.schema.json"),
                             str(wrong)], capture_output=True, text=True)
    assert result.returncode == 1 and "titel" in result.stdout + result.stderr

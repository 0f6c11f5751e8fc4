"""`build --strict` checks what a private circle's members will see (issue 17 point 2): the
pages' plaintext, rendered in memory before sealing, not only the sealed shell; nothing of it
is written anywhere when it fails."""

from __future__ import annotations

import os

from click.testing import CliRunner

from circlepress.cli import main

CIRCLE = "sites/early-independence/circle.yaml"
MARK = "The agreement, signed"


def _strict(root, *args):
    return CliRunner().invoke(main, ["build", "--strict", "--root", str(root), *args])


def test_a_broken_image_inside_a_private_page_fails_strict_at_its_source_line(project):
    yaml = project / CIRCLE
    lines = yaml.read_text("utf-8").splitlines()
    at = lines.index("  agreed:")
    lines.insert(at, f"    ![{MARK}](signed.png)")
    yaml.write_text("\n".join(lines) + "\n", "utf-8")
    result = _strict(project)
    assert result.exit_code == 1, result.output
    reported = [line for line in result.output.splitlines() if "signed.png" in line]
    assert reported and all(line.startswith(f"{CIRCLE}:{at + 1}:") for line in reported), result.output
    assert any("(as its members see it, opened)" in line and "steps/define-goals-and-expectations" in line for line in reported)
    assert not (project / "_site").exists()  # nothing written
    for folder, _, names in os.walk(project):  # and the plaintext nowhere on disk but its source
        for name in names:
            path = os.path.join(folder, name)
            if path != str(yaml):
                assert MARK.encode() not in open(path, "rb").read(), path


def test_a_file_removed_after_a_good_strict_build_fails_the_next(project):
    assert _strict(project).exit_code == 0
    (project / "content/images/circle.png").unlink()  # the handbook now reports it itself
    result = _strict(project)
    assert result.exit_code == 1
    assert "content/images/circle.png, which does not exist" in result.output

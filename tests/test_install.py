"""The installs the READMEs give, run as written in fresh venvs: a coordinator's (circlepress alone,
no test tool) and the one a programme made by `circlepress new` tells its coordinator to run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from io import BytesIO

from circlepress.scaffold.selfwheel import wheel_of_self

from conftest import REPO

TEST_TOOLS = ("playwright", "hypothesis", "check-jsonschema", "zizmor", "ortools")


def _block_after(text: str, heading: str) -> str:
    """The first ```sh block after a heading."""
    section = text[text.index(heading):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def _shell(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"

    def bash(script: str, cwd):
        return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
    return bash


def test_the_core_install_requires_no_test_tool():
    metadata = zipfile.ZipFile(BytesIO(wheel_of_self())).read(
        next(n for n in zipfile.ZipFile(BytesIO(wheel_of_self())).namelist() if n.endswith(".dist-info/METADATA")))
    core = [line for line in metadata.decode().splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert core and not [line for line in core if any(tool in line.lower() for tool in TEST_TOOLS)], core


def test_the_readme_installs_circlepress_for_a_coordinator_as_written(tmp_path):
    """`pip install . && circlepress new ../our-circles`, from a copy of this repository: it works, the
    programme is made, and no test tool is installed. PyPI's name is not promised."""
    readme = (REPO / "README.md").read_text()
    command = _block_after(readme, "### To run a programme").strip()
    assert command == "pip install . && circlepress new ../our-circles"
    assert "not published on PyPI yet" in readme
    clone = tmp_path / "clone"
    shutil.copytree(REPO, clone, ignore=shutil.ignore_patterns(".git", "node_modules", "_site", ".venv", ".circlepress",
                                                               "__pycache__", "*.egg-info"))
    bash = _shell(tmp_path)
    done = bash(command, clone)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "our-circles/vendor").is_dir() and (tmp_path / "our-circles/README.md").is_file()
    listed = bash("python -m pip list --format=freeze", clone).stdout.lower()
    assert "circlepress==" in listed
    assert not [tool for tool in TEST_TOOLS if f"{tool}==" in listed], listed


def test_a_new_programme_s_readme_installs_circlepress_as_written(tmp_path):
    """The starter README's install block, run in the new programme: circlepress comes from vendor/,
    `circlepress check` passes, and git ignores the venv it made."""
    bash = _shell(tmp_path)
    made = subprocess.run([sys.executable, "-m", "circlepress", "new", "our-circles"], cwd=tmp_path,
                          capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(REPO / "generator")})
    assert made.returncode == 0, made.stderr
    programme = tmp_path / "our-circles"
    block = _block_after((programme / "README.md").read_text(), "## Install circlepress")
    done = bash(block + "circlepress check\n", programme)
    assert done.returncode == 0, block + done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("OK:"), done.stdout
    where = bash(". .venv/bin/activate && python -c 'import circlepress, sys; print(circlepress.__file__)'", programme)
    assert where.stdout.startswith(str(programme / ".venv")), where.stdout
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q"], cwd=programme, check=True)
        assert subprocess.run(["git", "check-ignore", "-q", ".venv/"], cwd=programme).returncode == 0

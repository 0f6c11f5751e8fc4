"""`circlepress new`: a new programme repository, or a commented, valid circle.yaml to fill in."""

from __future__ import annotations

import hashlib
import os
from datetime import date, timedelta
from pathlib import Path

from ..programme.agefiles import AGE_SUFFIX, recipients, write_source
from ..programme.circles import CIRCLE_FILE, slug_problem
from ..programme.config import Project
from ..programme.errors import CirclepressError, Location, Problem
from ..private.keys import new_key
from ..programme.resources import packaged
from ..programme.schedule import add_months
from ..programme.reference import as_json, questionnaire_schema, site_json_schema
from ..programme.schema import circle_json_schema
from .selfwheel import WHEEL_NAME, wheel_of_self

CIRCLE_TEMPLATE = """\
{schema}# The circle's data. `circlepress check` tells you what is missing or wrong.
name: {name}
description: One sentence about who the circle is for.
# private: pages are linked from nowhere public. public: listed on the Circles page.
visibility: private
timezone: Europe/London          # an IANA time zone name
term:
  start: {start}             # YYYY-MM-DD
  months: 6

# Sessions use these unless they give their own.
defaults:
  start: "16:00"                  # 24-hour time, in quotes
  duration: 90                    # minutes
  place: Meeting room to be agreed
  # online: https://meet.example.org/your-room

# Up to 10 members. `id` is how sessions name their facilitators.
members:
  - id: organiser
    name: Your Name
    role: Postdoc
    department: Your department
    # email: you@example.org
    # profile: https://example.org/you
  - id: peer
    name: A Colleague
    role: Staff scientist
    department: Another department

# Or meet by a rule rather than listing every date; `sessions` then only add a topic,
# facilitators, a move, a cancellation or an extra date (`circlepress plan` fills in the rest).
# repeat:
#   monthly_on: second thursday   # first ... fourth, or last; at defaults.start
#   # from: {start}              # optional bounds inside the term
#   # until: {last}

# Fix the first three to six sessions at your first meeting (step 8).
sessions:
  - date: {first}
    topic: Goals, agreement and our calendar
    facilitators: [organiser]     # one or two member ids
  - date: {second}
    topic: Networking
    facilitators: [peer]
  - date: {third}
    topic: Funding opportunities
    facilitators: [organiser, peer]

# Topics the group chose.
topics:
  - title: Networking
    proposed_by: organiser

# Leave out `text` to adopt the programme's default agreement.
agreement:
  agreed: []
  #  - {{member: organiser, date: {first}}}

# Setup progress per step, by its id (its address: steps/<id>/): todo, in-progress or done, and a note.
progress:
  find-a-starting-group: {{status: in-progress, note: Finding a starting group}}

links:
  # chat: https://chat.example.org/your-circle
  # evaluation: https://forms.example.org/your-form?circle={{circle}}&round={{round}}   # else circlepress.yaml's
  other: []

# The circle's own random key: its private link comes from it. Never share this file;
# `circlepress rotate SLUG` writes a new one (the old link then stops working).
access:
  key: {key}
  # passphrase: four or more random words   # members type it instead of a key in the link
"""


PUBLIC_EXAMPLE = """\
# An example circle, public and fictional, so the site builds on any computer without a key.
# Make your private circles with `circlepress new circle SLUG --sealed`.
"""


def circle_template(slug: str, today: date, schema: str = "", *, public: bool = False) -> str:
    """The text of a new circle.yaml whose term starts next month (`public`: the starter's
    fictional example, with no access key)."""
    start = add_months(today.replace(day=1), 1)
    name = slug.replace("-", " ").title()
    if not name.lower().endswith("circle"):  # "our-first-circle" is "Our First Circle", not "... Circle Circle"
        name += " Circle"
    sessions = [add_months(start, i).replace(day=10).isoformat() for i in range(3)]
    last = add_months(start, 6) - timedelta(days=1)  # the last day of the 6-month term below
    text = CIRCLE_TEMPLATE.format(name=name, start=start.isoformat(), last=last.isoformat(), first=sessions[0], second=sessions[1],
                                  third=sessions[2], schema=schema, key=new_key())
    if not public:
        return text
    text = text.replace("visibility: private", "visibility: public", 1)
    # The fictional example links a fictional form, so it checks clean; a new circle is asked for its own.
    text = text.replace("  # evaluation: https://forms.example.org/your-form?circle={circle}&round={round}   # else circlepress.yaml's",
                        "  evaluation: https://forms.example.org/your-form?circle={circle}&round={round}", 1)
    return schema + PUBLIC_EXAMPLE + text[len(schema):text.index("# The circle's own random key")].rstrip() + "\n"


CONFIG_FILE = "circlepress.yaml"


def programme_around(folder: Path) -> Path | None:
    """The nearest programme folder (one holding circlepress.yaml) that is FOLDER or holds it."""
    folder = Path(os.path.abspath(folder))  # `..` taken out, so `new ../x` run in a programme looks beside it
    return next((f for f in (folder, *folder.parents) if (f / CONFIG_FILE).is_file()), None)


def missing_programme(root: Path) -> str | None:
    """Why a circle cannot be added at ROOT (neither circlepress.yaml nor sites/: it would land in a
    sites/ that no programme builds), or None."""
    if (Path(root) / CONFIG_FILE).is_file() or (Path(root) / "sites").is_dir():  # every key of the config is optional
        return None
    around = programme_around(Path(root).parent)
    where = (f"run it in {around}, the programme's folder, or pass --root {around}" if around else
             "run it in a programme's folder (the one holding circlepress.yaml) or pass --root FOLDER; "
             "`circlepress new DIR` starts a programme")
    return f"{Path(root).absolute()} is not a programme folder (it holds no circlepress.yaml or sites/), so no circle was written: {where}."


def nested_programme(folder: Path) -> str | None:
    """Why `circlepress new FOLDER` is refused inside a programme (most likely `new circle FOLDER`
    was meant), or None."""
    around = programme_around(Path(os.path.abspath(folder)).parent)
    if around is None:
        return None
    return (f"{folder} is inside the programme {around}, so no programme was written. "
            f"Did you mean `circlepress new circle {Path(folder).name}`? "
            "(A new programme goes in a folder outside any other.)")


def new_circle(project: Project, slug: str, today: date | None = None, *, sealed: bool = False) -> str:
    """Write sites/SLUG/circle.yaml (with `sealed`, circle.yaml.age, sealed to recipients.txt and
    read back); refuse a bad slug or an existing circle."""
    if problem := slug_problem(slug):
        raise CirclepressError([Problem(Location(slug), *problem)])
    folder = project.sites_dir / slug
    for there in (folder / CIRCLE_FILE, folder / (CIRCLE_FILE + AGE_SUFFIX)):
        if there.exists():
            raise CirclepressError([Problem(Location(project.shown(there)), "this circle already exists",
                                            f"edit it (`circlepress edit {slug}`), or choose another slug")])
    path = folder / (CIRCLE_FILE + AGE_SUFFIX if sealed else CIRCLE_FILE)
    has_schema = (project.sites_dir.parent / "schema" / "circle.schema.json").exists()
    reference = "# yaml-language-server: $schema=../../schema/circle.schema.json\n" if has_schema else ""
    text = circle_template(slug, today or date.today(), reference)
    if sealed:  # who it is sealed to, and that this run can open it, before the folder is made
        recipients(project.root, folder, project.shown)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        write_source(path, text, project.root, project.shown)
    except BaseException:
        if not any(folder.iterdir()):
            folder.rmdir()
        raise
    return project.shown(path)


STARTER = Path(__file__).resolve().parent / "starter"
VENDOR = "vendor"
REQUIREMENTS = "pages-requirements.txt"


def vendored_files() -> dict[str, bytes]:
    """The wheel of this circlepress for vendor/, its SHA256SUMS line, and the requirements file naming it."""
    wheel = wheel_of_self()
    requirements = (f"# What the publishing workflow installs: the circlepress wheel committed in {VENDOR}/ (its\n"
                    f"# sha256 is checked first, against {VENDOR}/SHA256SUMS), and its dependencies from PyPI.\n"
                    "# To move to another circlepress, install it, then run `circlepress new --upgrade .`\n"
                    f"./{VENDOR}/{WHEEL_NAME}\n")
    return {f"{VENDOR}/{WHEEL_NAME}": wheel,
            f"{VENDOR}/SHA256SUMS": f"{hashlib.sha256(wheel).hexdigest()}  {WHEEL_NAME}\n".encode("ascii"),
            REQUIREMENTS: requirements.encode("utf-8")}


def upgrade_programme(folder: Path) -> list[str]:
    """Vendor this circlepress into an existing programme: the new wheel, SHA256SUMS and requirements
    written first, then older vendored wheels removed. Returns the files written."""
    if not (folder / "circlepress.yaml").is_file():
        raise CirclepressError([Problem(Location(str(folder / "circlepress.yaml")), "this is not a programme folder",
                                        "run `circlepress new --upgrade` in the folder that holds circlepress.yaml")])
    files = vendored_files()
    for name, payload in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".new")
        temporary.write_bytes(payload)
        temporary.replace(target)
    for old in (folder / VENDOR).glob("circlepress-*.whl"):
        if old.name != WHEEL_NAME:
            old.unlink()
    return sorted(files)


def new_programme(folder: Path, today: date | None = None) -> list[str]:
    """A programme repository to push to GitHub: config, the handbook to tailor, one circle,
    the Pages workflow with the wheel of this circlepress it installs, and a README for the coordinator."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise CirclepressError([Problem(Location(str(folder)), "the folder exists and is not empty",
                                        "choose a new folder name; nothing was changed")])
    files = {
        "circlepress.yaml": (STARTER / "circlepress.yaml").read_text("utf-8"),
        ".gitignore": (STARTER / "gitignore").read_text("utf-8"),
        ".gitattributes": (STARTER / "gitattributes").read_text("utf-8"),
        "recipients.txt": (STARTER / "recipients.txt").read_text("utf-8"),
        "README.md": (STARTER / "README.md").read_text("utf-8"),
        ".github/workflows/pages.yml": (STARTER / "workflows" / "pages.yml").read_text("utf-8"),
        "schema/circle.schema.json": circle_json_schema(),
        "schema/circlepress.schema.json": site_json_schema(),
        "schema/questionnaire.schema.json": as_json(questionnaire_schema()),
        ".vscode/settings.json": '{\n  "yaml.schemas": {"./schema/circle.schema.json": ["sites/*/circle.yaml"],\n'
                                 '                  "./schema/circlepress.schema.json": ["circlepress.yaml"],\n'
                                 '                  "./schema/questionnaire.schema.json": ["questionnaire.yaml"]}\n}\n',
        "sites/our-first-circle/circle.yaml": circle_template(
            "our-first-circle", today or date.today(),
            "# yaml-language-server: $schema=../../schema/circle.schema.json\n", public=True),
    }
    data = {name: text.encode("utf-8") for name, text in files.items()} | vendored_files()
    content = packaged("content")
    for path in sorted(content.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            data["content/" + path.relative_to(content).as_posix()] = path.read_bytes()
    for name, payload in data.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(payload)
    return sorted(data)

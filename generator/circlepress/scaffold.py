"""`circlepress new circle SLUG`: a commented, valid circle.yaml to fill in."""

from __future__ import annotations

from datetime import date

from .circles import CIRCLE_FILE, SAFE_SLUG
from .config import Project
from .errors import CirclepressError, Location, Problem
from .schedule import add_months

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

# Fix the first three to six sessions at your first meeting (step 8).
sessions:
  - date: {first}
    topic: Goals, agreement and our calendar
    facilitators: [organiser]     # one or two member ids

# Topics the group chose.
topics:
  - title: Networking
    proposed_by: organiser

# Leave out `text` to adopt the programme's default agreement.
agreement:
  agreed: []
  #  - {{member: organiser, date: {first}}}

# Setup progress per step: todo, in-progress or done, with an optional note.
progress:
  1: {{status: in-progress, note: Finding a starting group}}

links:
  # chat: https://chat.example.org/your-circle
  # evaluation: https://forms.example.org/your-form
  other: []
"""


def circle_template(slug: str, today: date, schema: str = "") -> str:
    """The text of a new circle.yaml whose term starts next month."""
    start = add_months(today.replace(day=1), 1)
    name = slug.replace("-", " ").title() + " Circle"
    return CIRCLE_TEMPLATE.format(name=name, start=start.isoformat(), first=start.replace(day=10).isoformat(),
                                  schema=schema)


def new_circle(project: Project, slug: str, today: date | None = None) -> str:
    """Write sites/SLUG/circle.yaml; refuse a bad slug or an existing circle."""
    if not SAFE_SLUG.match(slug):
        raise CirclepressError([Problem(Location(slug), f"'{slug}' is not a safe circle slug",
                                        "use lowercase letters, digits and '-', e.g. 'imaging-circle'")])
    folder = project.sites_dir / slug
    path = folder / CIRCLE_FILE
    if path.exists():
        raise CirclepressError([Problem(Location(project.shown(path)), "this circle already exists",
                                        "edit it, or choose another slug")])
    has_schema = (project.sites_dir.parent / "schema" / "circle.schema.json").exists()
    reference = "# yaml-language-server: $schema=../../schema/circle.schema.json\n" if has_schema else ""
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(circle_template(slug, today or date.today(), reference), "utf-8")
    return project.shown(path)

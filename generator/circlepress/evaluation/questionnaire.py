"""A programme's evaluation questionnaire: the questions every round asks, each with an id that
names its column in the form service's export and in the report.

circlepress ships a default (questionnaire.yaml beside this module); a programme that writes its
own `questionnaire.yaml` beside circlepress.yaml asks that one instead."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..programme.errors import CirclepressError, Location, Problem
from ..programme.questionnaire_schema import (DEFAULT_SOURCE, EXPORT_COLUMNS, FIXED_COLUMNS,  # noqa: F401
                                              QUESTIONNAIRE_NAME, QuestionnaireSpec, column_key, fold)
from ..programme.source import MAX_FILE_BYTES, Document, decode_text, load_yaml
from ..programme.validation import to_problem


class Kind(str, Enum):
    """How a question is answered."""

    SCALE = "scale"    # a 1-5 agreement scale: 1 strongly disagree ... 5 strongly agree
    YES_NO = "yes-no"
    CHOICE = "choice"  # one of several `choices`
    TEXT = "text"      # free text: shown only with `report --comments`, programme-wide


SCALE = (1, 2, 3, 4, 5)
SCALE_LABELS = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")
AGREE = (4, 5)  # the answers that count as agreeing, for a scale question's share who agree

# Questions the report gives a headline of their own when the questionnaire has them.
GOALS_MET = "goals-met"
RECOMMEND = "recommend"

@dataclass(frozen=True)
class Question:
    id: str           # lowercase letters, digits and '-': the column header the report expects
    text: str         # as the member reads it in the form
    kind: Kind
    choices: tuple[str, ...] = ()  # for Kind.CHOICE only, in the order the form shows them


@dataclass(frozen=True)
class Questionnaire:
    questions: tuple[Question, ...]
    source: str  # the file it came from, as messages show it ("(default)" for the shipped one)

    def get(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    @property
    def columns(self) -> tuple[str, ...]:
        """The column headers of a plain CSV of answers: circle, round, then each question's id."""
        return (*FIXED_COLUMNS, *(q.id for q in self.questions))


def load_questionnaire(root: Path) -> Questionnaire:
    """The programme's questionnaire: `root/questionnaire.yaml` when there is one, else the default.

    Reads that one file and nothing else; raises CirclepressError with every problem in it, each
    located (an unknown key, a bad or repeated id, choices that do not fit the kind, ...)."""
    path = root / QUESTIONNAIRE_NAME
    if not (path.exists() or path.is_symlink()):
        return default_questionnaire()
    try:  # (read_text's hint says to build again: wrong for `form` and `report`)
        with path.open("rb") as file:  # to just past the limit, which decode_text reports: /dev/zero has no end
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CirclepressError([Problem(Location(QUESTIONNAIRE_NAME), f"cannot read the file: {exc.strerror or exc}",
                                        "make it a file you can read, or remove it to ask the default "
                                        "questionnaire")]) from None
    return parse_questionnaire(decode_text(data, QUESTIONNAIRE_NAME), QUESTIONNAIRE_NAME)


def default_questionnaire() -> Questionnaire:
    """The questionnaire circlepress ships."""
    text = Path(__file__).with_name(QUESTIONNAIRE_NAME).read_text("utf-8")
    return parse_questionnaire(text, DEFAULT_SOURCE)


def parse_questionnaire(text: str, shown: str) -> Questionnaire:
    """A questionnaire from its YAML text; `shown` names the file in messages."""
    doc = load_yaml(text, shown)
    problems = _repeated(doc)
    try:
        spec = QuestionnaireSpec.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as exc:
        problems += [to_problem(err, doc, QuestionnaireSpec) for err in exc.errors()]
        raise CirclepressError(problems) from None
    if problems:
        raise CirclepressError(problems)
    return Questionnaire(tuple(Question(q.id, q.text, Kind(q.kind), tuple(q.choices)) for q in spec.questions), shown)


def _repeated(doc: Document) -> list[Problem]:
    """A problem for each question id or text that names the same column as an earlier question's
    id or text (case and punctuation aside), and for each choice that its question lists twice."""
    items = doc.data.get("questions") if isinstance(doc.data, dict) else None
    problems: list[Problem] = []
    seen: dict[str, tuple[int, str]] = {}  # column key -> (question index, "id" or "text")
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        problems += _repeated_choices(doc, i, item.get("choices"))
        for field in ("id", "text"):
            value = item.get(field)
            if not isinstance(value, str) or not fold(value):
                continue  # (an empty one is a problem of its own)
            key = column_key(value) or f"\0{fold(value)}"  # a text all punctuation, '???', is matched as written
            first, other = seen.setdefault(key, (i, field))
            if first == i:
                continue
            what = f"the id '{value.strip()}' is question {first + 1}'s already" if field == other == "id" else \
                f"question {i + 1} has the same text as question {first + 1}" if field == other else \
                f"question {i + 1}'s {field} names the same column as question {first + 1}'s {other}"
            problems.append(Problem(doc.locate(("questions", i, field)), what, f"give each question its own "
                                    f"{field}: the answers' columns are matched to questions by it"))
    return problems


def _repeated_choices(doc: Document, i: int, choices: Any) -> list[Problem]:
    """A problem for each choice of question `i` that is an earlier one again."""
    problems: list[Problem] = []
    listed: dict[str, int] = {}
    for j, choice in enumerate(choices if isinstance(choices, list) else []):
        if isinstance(choice, str) and fold(choice) and (first := listed.setdefault(fold(choice), j)) != j:
            problems.append(Problem(doc.locate(("questions", i, "choices", j)), f"choice {j + 1} of question "
                                    f"{i + 1} is choice {first + 1} again", "keep one of them"))
    return problems

"""A programme's evaluation questionnaire: the questions every round asks, each with an id that
names its column in the form service's export and in the report.

circlepress ships a default (questionnaire.yaml beside this module); a programme that writes its
own `questionnaire.yaml` beside circlepress.yaml asks that one instead."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from ..programme.errors import CirclepressError, Location, Problem
from ..programme.schema import Model
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

QUESTIONNAIRE_NAME = "questionnaire.yaml"  # a programme's own, beside circlepress.yaml
DEFAULT_SOURCE = "(default)"
FIXED_COLUMNS = ("circle", "round")  # the two answers a round's form link fills in
# Columns Google Forms and Microsoft Forms add to an export (who answered, and when): never read.
EXPORT_COLUMNS = ("timestamp", "email address", "email", "name", "id", "start time", "completion time",
                  "last modified time", "total points", "quiz feedback", "score")


@functools.lru_cache(maxsize=4096)  # answers repeat: the same few labels and choices on every row
def column_key(text: str) -> str:
    """How a column header is matched: case, spaces, punctuation and quote styles aside
    ('Goals-met', "I'd recommend…" and 'goals met' are the same)."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "").replace("'", "")
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def fold(text: str) -> str:
    """A text with only case and spaces aside: how choices, and a question text that is all
    punctuation (':)', '???'), are matched, since their column key may be empty or shared."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


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


_ID = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_RESERVED = {column_key(c): c for c in (*FIXED_COLUMNS, *EXPORT_COLUMNS)}


def _reserved(value: str, what: str) -> str:
    if (name := _RESERVED.get(column_key(value))) is not None:
        use = "the round's link fills it in" if name in FIXED_COLUMNS \
            else "form services use it for who answered or when"
        raise PydanticCustomError(
            "reserved_column", "the question {what} '{value}' is the name of a column the export already has",
            {"what": what, "value": value, "hint": f"{use}; choose another {what}"})
    return value


def _check_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise PydanticCustomError(
            "bad_question_id", "'{value}' is not a valid question id",
            {"value": value, "hint": "use lowercase letters, digits and '-', starting with a letter, e.g. 'goals-met'"})
    return _reserved(value, "id")


def _lower(value: Any) -> Any:
    """A kind in any case ('Scale', 'YES-NO') is that kind."""
    return value.lower() if isinstance(value, str) else value


QuestionId = Annotated[str, AfterValidator(_check_id), Field(max_length=40)]
QuestionText = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(lambda v: _reserved(v, "text"))]
def _no_bar(value: str) -> str:
    if "|" in value:  # `circlepress form` prints a question's choices with " | " between them
        raise PydanticCustomError("bar_in_choice", "a choice may not hold '|', which `circlepress form` writes "
                                  "between choices", {"hint": "write it with '/' or 'or' instead"})
    return value


ChoiceText = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_bar)]


class QuestionSpec(Model):
    """One question of `questionnaire.yaml`."""

    id: QuestionId = Field(description="the question's column in a plain CSV of answers and in the report: "
                           "lowercase letters, digits and '-'", examples=["confidence"])
    text: QuestionText = Field(description="the question as members read it in the form (an export titled "
                               "by it is matched too)", examples=["I feel confident about taking my next career step."])
    kind: Annotated[Literal["scale", "yes-no", "choice", "text"], BeforeValidator(_lower)] = Field(
        description="scale (1-5, strongly disagree to strongly agree), yes-no, choice (one of `choices`) "
        "or text (free text)", examples=["scale"])
    choices: list[ChoiceText] = Field(default_factory=list, validate_default=True, max_length=20,
                                      description="for a choice question: the answers, in the form's order",
                                      examples=[["All of them", "Most of them", "Half or fewer"]])

    @field_validator("choices")
    @classmethod
    def _choices_fit_kind(cls, value: list[str], info: ValidationInfo) -> list[str]:
        kind = info.data.get("kind")
        if kind == "choice" and len(value) < 2:
            raise PydanticCustomError("too_few_choices", "a choice question needs at least two choices",
                                      {"hint": "list them under 'choices:', e.g. choices: [All of them, "
                                       "Most of them, Half or fewer]"})
        if kind is not None and kind != "choice" and value:
            raise PydanticCustomError("unexpected_choices", "only a choice question has choices, not a {kind} one",
                                      {"kind": kind, "hint": "remove 'choices:', or set kind: choice"})
        return value


def _some_questions(value: list[QuestionSpec]) -> list[QuestionSpec]:
    if not value:
        raise PydanticCustomError("no_questions", "'questions' is empty",
                                  {"hint": "list at least one question, each with an id, a text and a kind"})
    return value


class QuestionnaireSpec(Model):
    """`questionnaire.yaml`: the questions each evaluation round asks, in the form's order."""

    questions: Annotated[list[QuestionSpec], AfterValidator(_some_questions)] = Field(
        max_length=40, description="the questions, in the order the form asks them",
        examples=[[{"id": "recommend", "text": "I would recommend this circle to a colleague.", "kind": "scale"}]])


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

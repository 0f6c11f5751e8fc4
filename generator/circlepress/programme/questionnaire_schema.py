"""The shape of `questionnaire.yaml`, a programme's own evaluation questionnaire (step 12): pydantic
models, exported as JSON Schema for editors and documented in the configuration reference. How a
questionnaire is loaded, and what its questions mean for the report, is evaluation/questionnaire.py."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from .schema import Model

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
    """The questions every evaluation round asks, in the order the form asks them."""

    questions: Annotated[list[QuestionSpec], AfterValidator(_some_questions)] = Field(
        max_length=40, description="the questions, in the order the form asks them",
        examples=[[{"id": "recommend", "text": "I would recommend this circle to a colleague.", "kind": "scale"}]])

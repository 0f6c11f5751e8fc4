"""A programme's evaluation questionnaire: the questions every round asks, each with an id that
names its column in the form service's export and in the report."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


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

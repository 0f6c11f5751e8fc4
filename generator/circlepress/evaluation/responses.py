"""Members' answers to a questionnaire, read from form services' CSV exports."""

from __future__ import annotations

from dataclasses import dataclass

Answer = int | bool | str | None  # a scale's 1-5, yes/no, a choice or free text; None: not answered


@dataclass(frozen=True)
class Response:
    """One member's answers in one round: never who they are, only their circle and the round."""

    circle: str  # the circle's folder slug under sites/
    round: int   # 1, 2, ... as in evaluation/rounds.py
    answers: tuple[tuple[str, Answer], ...]  # (question id, answer), in the questionnaire's order

    def get(self, question_id: str) -> Answer:
        return next((a for q, a in self.answers if q == question_id), None)

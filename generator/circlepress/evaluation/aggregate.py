"""A programme's responses summed up for its impact report, small groups suppressed (suppression.py):
per round, the responses and circles; per question, the programme-wide answers in each round and,
for scale and yes/no questions, each circle's share who agree (or say yes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping

from ..programme.circles import Circle
from .questionnaire import AGREE, GOALS_MET, RECOMMEND, SCALE, SCALE_LABELS, Kind, Question, Questionnaire
from .responses import Answer, Response
from .rounds import circle_folder
from .suppression import MIN_GROUP, hidden_groups, is_small

YES_NO = (True, False)
YES_NO_LABELS = ("Yes", "No")


@dataclass(frozen=True)
class Figure:
    """One group's answers to one question: n respondents (None: hidden, 0: nobody answered), how
    many gave each option, the share who agree or say yes, and a scale's mean. Hidden: all empty."""

    n: int | None
    counts: tuple[int, ...] = ()
    share: float | None = None  # of AGREE for a scale, of yes for yes/no; None for a choice
    mean: float | None = None   # a scale's mean over 1-5

    @property
    def is_hidden(self) -> bool:
        return self.n is None


HIDDEN = Figure(None)
EMPTY = Figure(0)


@dataclass(frozen=True)
class CircleRow:
    """A circle's share who agree (or say yes) in each of the report's rounds: only the share, so
    no circle's count can be taken from one table and subtracted in another."""

    label: str  # a public circle's name, a private circle's folder slug
    cells: tuple[float | None, ...]  # one per round of the report; None: hidden (fewer than 5, none too)


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    labels: tuple[str, ...]  # the options' labels, in the question's order
    rounds: tuple[Figure, ...]  # programme-wide, one per round of the report
    circles: tuple[CircleRow, ...]  # scale and yes/no questions only

    @property
    def has_share(self) -> bool:
        return self.question.kind in (Kind.SCALE, Kind.YES_NO)


@dataclass(frozen=True)
class RoundResult:
    number: int
    responses: int | None  # None: fewer than 5
    circles: int | None  # how many circles answered; None with the responses (it would tell who did)


MIN_COMMENT_CIRCLES = 2  # comments from one circle alone would be that circle's


@dataclass(frozen=True)
class Comments:
    """A free-text question's answers from every round and circle together, sorted; None when
    fewer than 5 members wrote one, or when they all belong to one circle."""

    question: Question
    texts: tuple[str, ...] | None


@dataclass(frozen=True)
class Report:
    rounds: tuple[RoundResult, ...]
    headlines: tuple[QuestionResult, ...]  # goals met, then recommend, when the questionnaire has them
    questions: tuple[QuestionResult, ...]  # every scale, yes/no and choice question, in its order
    comments: tuple[Comments, ...] | None  # None: not asked for (`--comments`)
    circles: int  # circles with any response
    responses: int | None  # all rounds together; None: fewer than 5, or a round's count is hidden


def circle_labels(circles: Iterable[Circle]) -> dict[str, str]:
    """How the report names each circle (by its folder): a public circle by its name, a private one
    by its folder slug, which is public already (its form links carry it), never by its name; two
    public circles of one name with their folders too."""
    circles = tuple(circles)
    names = Counter(c.spec.name for c in circles if not c.is_private)
    return {circle_folder(c): circle_folder(c) if c.is_private else
            c.spec.name if names[c.spec.name] == 1 else f"{c.spec.name} ({circle_folder(c)})" for c in circles}


def summarise(questionnaire: Questionnaire, responses: Iterable[Response], labels: Mapping[str, str],
              comments: bool = False) -> Report:
    """The report's figures, the same for the same responses in any order."""
    responses = tuple(responses)  # every figure below is a count, and comments are sorted: order is irrelevant
    numbers = tuple(sorted({r.round for r in responses}))
    by_round: dict[int, list[Response]] = {n: [] for n in numbers}
    for r in responses:
        by_round[r.round].append(r)
    # A round of fewer than 5 responses shows only that: none of its answers counts anywhere else
    # (not in a circle's row, the circles counted, nor the comments), which would tell who answered it.
    small = frozenset(n for n in numbers if is_small(len(by_round[n])))
    kept = {n: [] if n in small else by_round[n] for n in numbers}
    results = tuple(_question(q, numbers, kept, small, labels)
                    for q in questionnaire.questions if q.kind is not Kind.TEXT)
    headlines = tuple(r for key in (GOALS_MET, RECOMMEND) for r in results if r.question.id == key
                      and r.question.kind is Kind.SCALE)
    rounds = tuple(RoundResult(n, None, None) if n in small else
                   RoundResult(n, len(by_round[n]), len({r.circle for r in by_round[n]})) for n in numbers)
    # a small round's count would be the total minus the others (and hiding another round does not
    # help: its questions' answers show about how many responded), so then no total is shown
    total = None if small else _count(len(responses))
    shown = tuple(r for n in numbers for r in kept[n])
    return Report(
        rounds=rounds,
        headlines=headlines, questions=results,
        comments=_comments(questionnaire, shown) if comments else None,
        circles=len({r.circle for r in shown}), responses=total)


def _count(n: int) -> int | None:
    return None if is_small(n) else n


def _options(question: Question) -> tuple[tuple[Answer, ...], tuple[str, ...]]:
    if question.kind is Kind.SCALE:
        return SCALE, tuple(f"{v} {label}" for v, label in zip(SCALE, SCALE_LABELS))
    if question.kind is Kind.YES_NO:
        return YES_NO, YES_NO_LABELS
    return question.choices, question.choices


def _answers(question: Question, responses: Iterable[Response]) -> list[Answer]:
    """The answers given (not None), each one of the question's options."""
    options, _ = _options(question)
    return [a for r in responses if (a := r.get(question.id)) is not None and _is_option(a, options)]


def _is_option(answer: Answer, options: tuple[Answer, ...]) -> bool:
    # True == 1 in Python: a yes/no answer is not a scale's 1, nor a 1 a yes
    return any(answer == o and type(answer) is type(o) for o in options)


def _figure(question: Question, answers: list[Answer]) -> Figure:
    if not answers:
        return EMPTY
    if is_small(len(answers)):
        return HIDDEN
    options, _ = _options(question)
    counts = tuple(sum(1 for a in answers if a == o) for o in options)  # answers are options of the right type
    share = mean = None
    if question.kind is Kind.SCALE:
        share = sum(counts[SCALE.index(v)] for v in AGREE) / len(answers)
        mean = sum(v * c for v, c in zip(SCALE, counts)) / len(answers)
    elif question.kind is Kind.YES_NO:
        share = counts[0] / len(answers)
    return Figure(len(answers), counts, share, mean)


def _question(question: Question, numbers: tuple[int, ...], by_round: dict[int, list[Response]],
              small: frozenset[int], labels: Mapping[str, str]) -> QuestionResult:
    _, option_labels = _options(question)
    programme = tuple(HIDDEN if n in small else _figure(question, _answers(question, by_round[n])) for n in numbers)
    rows: tuple[CircleRow, ...] = ()
    if question.kind in (Kind.SCALE, Kind.YES_NO):
        rows = _circle_rows(question, numbers, by_round, labels)
    return QuestionResult(question, option_labels, programme, rows)


def _circle_rows(question: Question, numbers: tuple[int, ...], by_round: dict[int, list[Response]],
                 labels: Mapping[str, str]) -> tuple[CircleRow, ...]:
    """Each circle's share, round by round; in each round (a column beside its programme total)
    the small circles hidden, and with them as many more as subtraction would give away."""
    slugs = sorted({r.circle for n in numbers for r in by_round[n]}, key=lambda s: (labels.get(s, s).casefold(), s))
    columns = []  # every circle that sent any response has a row in every question's table, even
    # with no answer to this one: a row missing would tell that nobody in that circle answered it
    for n in numbers:
        by_circle: dict[str, list[Response]] = {}
        for r in by_round[n]:  # one pass per round: a thousand circles cost no more than their answers
            by_circle.setdefault(r.circle, []).append(r)
        answers = {s: _answers(question, by_circle.get(s, ())) for s in slugs}
        # the circles that answered the round, each with how many answered this question (0 too)
        hidden = hidden_groups({s: len(answers[s]) for s in by_circle})
        columns.append({s: None if s in hidden or not a else _figure(question, a).share for s, a in answers.items()})
    return tuple(CircleRow(labels.get(s, s), tuple(column[s] for column in columns)) for s in slugs)


def _comments(questionnaire: Questionnaire, responses: tuple[Response, ...]) -> tuple[Comments, ...]:
    """Each free-text question's answers, every round and circle together, sorted so that their
    order tells nothing of who wrote them; withheld when fewer than 5 wrote one or all are of one circle
    (no round is named: a round that one circle answered would name it)."""
    found = []
    for question in (q for q in questionnaire.questions if q.kind is Kind.TEXT):
        written = [(r.circle, t.strip()) for r in responses if isinstance(t := r.get(question.id), str) and t.strip()]
        enough = len(written) >= MIN_GROUP and len({c for c, _ in written}) >= MIN_COMMENT_CIRCLES
        texts = tuple(sorted((t for _, t in written), key=lambda t: (t.casefold(), t)))
        found.append(Comments(question, texts if enough else None))
    return tuple(found)

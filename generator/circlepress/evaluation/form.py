"""`circlepress form`: the questionnaire as a coordinator builds it in a form service, with the
column headers the report reads (as text to follow, or as CSV)."""

from __future__ import annotations

import csv
import io

from .questionnaire import DEFAULT_SOURCE, FIXED_COLUMNS, SCALE, SCALE_LABELS, Kind, Question, Questionnaire

# What each kind is called in each service, to build it there.
_KINDS = {
    Kind.SCALE: "Google: Linear scale 1 to 5, labels Strongly disagree and Strongly agree; "
                "Microsoft: Rating, 5 levels, numbers",
    Kind.YES_NO: "Google: Multiple choice; Microsoft: Choice; the answers Yes and No",
    Kind.CHOICE: "Google: Multiple choice; Microsoft: Choice; the answers as listed, one of them",
    Kind.TEXT: "Google: Paragraph; Microsoft: Text, with Long answer on",
}
_PREFILLED = {"circle": "the circle's folder name under sites/", "round": "the round's number: 1, 2, ..."}


def answers_of(question: Question) -> str:
    """The answers a question accepts, as one line."""
    if question.kind is Kind.SCALE:
        return " | ".join(f"{n} {label}" for n, label in zip(SCALE, SCALE_LABELS))
    if question.kind is Kind.YES_NO:
        return "Yes | No"
    if question.kind is Kind.CHOICE:
        return " | ".join(question.choices)
    return "free text"


def form_text(questionnaire: Questionnaire) -> str:
    """The questionnaire as steps to follow in Google Forms or Microsoft Forms."""
    own = ["The evaluation form, from circlepress's default questionnaire.",
           "(To ask other questions, write questionnaire.yaml beside circlepress.yaml.)"] \
        if questionnaire.source == DEFAULT_SOURCE else [f"The evaluation form, from {questionnaire.source}."]
    lines = [*own, "", "Start with two short-answer questions titled Circle and Round. Each round's link fills them",
             "in, so members never type them:"]
    lines += [f"  {name:<8}{_PREFILLED[name]}" for name in FIXED_COLUMNS]
    lines += ["To make that link, choose Get pre-filled link in the form's menu (Microsoft Forms: Get pre-filled",
              "URL), answer CIRCLE and ROUND, copy the link, replace CIRCLE with {circle} and ROUND with {round},",
              "and put it in circlepress.yaml as 'evaluation: form:'."]
    lines += ["", "Then these questions, in this order, each titled with its text as written here: the report",
              "matches an export's columns by that text (or by the id, in a plain CSV). Each kind is:"]
    lines += [f"  {kind.value:<8}{how}" for kind, how in _KINDS.items()
              if any(q.kind is kind for q in questionnaire.questions)]
    lines.append("")
    for number, q in enumerate(questionnaire.questions, start=1):
        answers = "" if q.kind in (Kind.SCALE, Kind.YES_NO, Kind.TEXT) else f": {answers_of(q)}"
        lines += [f"{number:>2}. {q.text}", f"    {q.id}, {q.kind.value}{answers}"]
    lines += ["", "Ask no one's name or email address: in Google Forms leave 'Collect email addresses' off; in",
              "Microsoft Forms let anyone respond, or turn 'Record name' off (the report never reads them).", "",
              "A plain CSV of answers has these columns:", ",".join(questionnaire.columns)]
    return "\n".join(lines) + "\n"


def form_csv(questionnaire: Questionnaire) -> str:
    """The questionnaire as CSV: one row per column the report reads, with its text, kind and answers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["column", "text", "kind", "answers"])
    writer.writerows([name, name, "prefilled", _PREFILLED[name]] for name in FIXED_COLUMNS)
    writer.writerows([q.id, q.text, q.kind.value, answers_of(q)] for q in questionnaire.questions)
    return out.getvalue()

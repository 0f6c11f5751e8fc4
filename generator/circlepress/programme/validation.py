"""Turning schema errors into located problems a person can act on."""

from __future__ import annotations

import calendar
import difflib
import re
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import CirclepressError, Problem
from .schema import SESSIONS_HINT
from .source import Document

M = TypeVar("M", bound=BaseModel)

_FORMATS = {
    "date": "write the date as YYYY-MM-DD, e.g. 2027-03-11",
    "time": "write a 24-hour time as HH:MM, e.g. 16:00",
}
_TOO_LONG_HINTS = {"members": "peer-mentoring circles work best small; start a second circle for the others",
                   "sessions": SESSIONS_HINT}


def validate(model: type[M], doc: Document, *, at: tuple = ()) -> M:
    """Validate `doc.data` against `model`, raising every problem with its location."""
    data = doc.data if doc.data is not None else {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CirclepressError([to_problem(err, doc, model, at) for err in exc.errors()]) from None


def validate_partly(model: type[M], doc: Document, placeholders: dict[str, Any],
                    lists: tuple[str, ...]) -> tuple[M | None, list[Problem], dict[str, list[int]], set[str]]:
    """Validate `doc.data`; on errors, also validate what did: the file without the list items
    (under `lists`) and top-level keys that failed, required ones replaced by `placeholders`.

    Returns the model (the whole one, or the salvaged one, or None), every schema problem, the
    original index of each kept item per list, and the top-level keys that were replaced.
    """
    data = doc.data if doc.data is not None else {}
    try:
        return model.model_validate(data), [], {}, set()
    except ValidationError as exc:
        errors = exc.errors()
    problems = [to_problem(err, doc, model) for err in errors]
    if not isinstance(data, dict):
        return None, problems, {}, set()
    bad_items: dict[str, set[int]] = {}
    bad_keys: set[str] = set()
    for err in errors:
        loc, _ = _clean(err["loc"])
        if not loc:
            return None, problems, {}, set()
        if loc[0] in lists and len(loc) > 1 and isinstance(loc[1], int) and err["type"] != "too_long":
            bad_items.setdefault(str(loc[0]), set()).add(loc[1])
        else:
            bad_keys.add(str(loc[0]))
    salvaged = {k: v for k, v in data.items() if k not in bad_keys}
    kept: dict[str, list[int]] = {}
    for name, bad in bad_items.items():
        if name in salvaged and isinstance(salvaged[name], list):
            kept[name] = [i for i in range(len(salvaged[name])) if i not in bad]
            salvaged[name] = [salvaged[name][i] for i in kept[name]]
    replaced = {k for k in bad_keys if k in placeholders}
    salvaged.update({k: placeholders[k] for k in replaced})
    try:
        return model.model_validate(salvaged), problems, kept, replaced
    except ValidationError:
        return None, problems, {}, set()


def _clean(loc: tuple) -> tuple[tuple, bool]:
    """Drop pydantic's internal loc parts; report whether the error is about a key."""
    is_key = bool(loc) and loc[-1] == "[key]"
    parts = tuple(p for p in loc if isinstance(p, int) or "[" not in str(p))
    return parts, is_key


def _model_at(model: Any, loc: tuple) -> Any:
    """The model class that owns the last part of `loc`, found by walking annotations."""
    current = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            current = _inner(current)
            if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
                continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = field.annotation
    current = _inner(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner(annotation: Any) -> Any:
    """Unwrap Optional / list / dict annotations to the model they hold."""
    for arg in typing.get_args(annotation)[::-1]:
        found = _inner(arg) if typing.get_args(arg) else arg
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, str) and (len(value) > _ECHOED or "\n" in value):
        return "a long text"  # never echoed: it may be a file read by mistake (a symlink to a secret)
    return f"'{value}'"


_ECHOED = 60  # the longest value a message repeats


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """'did you mean ...?' when a close match exists, otherwise the allowed values."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "allowed: " + ", ".join(choices)


def impossible_date(value: Any) -> str:
    """Why a well-formed YYYY-MM-DD names no day ("February 2027 has 28 days"), or ''."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(value).strip())
    if not match:
        return ""
    year, month, day = map(int, match.groups())
    if not 1 <= month <= 12:
        return f"a year has 12 months; write the month as 01 to 12, e.g. {year}-03-11"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{calendar.month_name[month]} {year} has {days} days"
    return ""


def impossible_time(value: Any) -> str:
    """Why a well-formed HH:MM names no time of day, or ''."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", str(value).strip())
    if not match:
        return ""
    if int(match.group(1)) > 23:
        return "hours run from 00 to 23; write midnight as 00:00"
    if int(match.group(2)) > 59:
        return "minutes run from 00 to 59"
    return ""


def _whole_number_hint(value: Any) -> str:
    if isinstance(value, str) and value.replace(".", "", 1).strip().isdigit():
        return "round it to a whole number"
    return "write it in digits, without words or units"


def _message(err: dict, loc: tuple, owner: Any, is_key: bool = False) -> tuple[str, str]:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if is_key:
        return _key_message(kind, value, ctx, loc)
    name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "value")
    if value is None and kind not in ("missing", "extra_forbidden"):
        return _empty_message(loc, name, owner)
    if "hint" in ctx:
        return err["msg"], ctx["hint"]
    if kind == "extra_forbidden":
        allowed = [f.alias or n for n, f in owner.model_fields.items()] if owner else []
        return f"unknown key '{loc[-1]}'", suggest(loc[-1], allowed) if allowed else "remove it"
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", f"add '{loc[-1]}:' here"
    if kind == "literal_error":
        allowed = [a.strip(" '") for a in ctx.get("expected", "").replace(" or ", ",").split(",") if a.strip()]
        return f"{_describe(value)} is not allowed for '{name}'", suggest(value, allowed)
    if kind.startswith(("date_", "datetime_")):
        return f"{_describe(value)} is not a valid date for '{name}'", impossible_date(value) or _FORMATS["date"]
    if kind.startswith("time_"):
        return f"{_describe(value)} is not a valid time for '{name}'", impossible_time(value) or _FORMATS["time"]
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"'{name}' must be a whole number, not {_describe(value)}", _whole_number_hint(value)
    if kind in ("bool_parsing", "bool_type"):
        return f"'{name}' must be true or false, not {_describe(value)}", "write true or false"
    if kind in ("greater_than_equal", "greater_than"):
        return f"'{name}' must be at least {ctx.get('ge', ctx.get('gt'))}, not {value}", ""
    if kind in ("less_than_equal", "less_than"):
        return f"'{name}' must be at most {ctx.get('le', ctx.get('lt'))}, not {value}", ""
    if kind == "too_long":
        extra = ctx.get("actual_length", 0) - ctx.get("max_length", 0)
        hint = _TOO_LONG_HINTS.get(name, f"remove {extra} of them")
        return f"'{name}' has {ctx.get('actual_length')} items; at most {ctx.get('max_length')} are allowed", hint
    if kind == "string_too_short" and ctx.get("min_length", 1) > 1:
        return f"'{name}' is too short (at least {ctx['min_length']} characters)", \
            "a few words are easier to remember than one long word"
    if kind == "string_too_short":
        return f"'{name}' must not be empty", "write some text between the quotes"
    if kind == "string_too_long":
        return f"'{name}' is {len(value):,} characters long; at most {ctx.get('max_length'):,} are allowed", \
            "shorten it"
    if kind == "string_type":
        return f"'{name}' must be text, not {_describe(value)}", "quote it if it contains ':' or starts with a symbol"
    if kind == "list_type":
        return f"'{name}' must be a list, not {_describe(value)}", "start each item on its own line with '- '"
    if kind in ("model_type", "model_attributes_type", "dict_type") and not loc:
        return f"the file must be a mapping of keys to values, not {_describe(value)}", \
            "write one 'key: value' per line, starting at the left margin"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"'{name}' must be a mapping of keys to values, not {_describe(value)}", \
            f"write its keys on the lines below '{name}:', indented"
    return f"'{name}': {err['msg']}", ""


def _empty_message(loc: tuple, name: str, owner: Any) -> tuple[str, str]:
    """A key written with nothing after it, or an empty `-` list item."""
    if loc and isinstance(loc[-1], int):
        return f"item {loc[-1] + 1} of '{name}' is empty", "fill it in, or remove the empty '-' line"
    field = owner.model_fields.get(name) if owner else None
    optional = field is not None and not field.is_required()
    return f"'{name}' is empty", f"write a value after '{name}:'" + (", or remove the key" if optional else "")


def _key_message(kind: str, value: Any, ctx: dict, loc: tuple) -> tuple[str, str]:
    """A key of a mapping with numbered keys (e.g. the step numbers under 'progress')."""
    where = f"under '{loc[-2]}'" if len(loc) > 1 else "here"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        low, high = ctx.get("ge", ctx.get("gt", "")), ctx.get("le", ctx.get("lt", ""))
        bounds = f"from {low} to {high}" if low != "" and high != "" else f"of at least {low}" if low != "" \
            else f"of at most {high}"
        return f"key '{value}' {where} is out of range", f"use a number {bounds}"
    return f"key '{value}' {where} must be a whole number", _whole_number_hint(value)


def to_problem(err: dict, doc: Document, model: Any, at: tuple = ()) -> Problem:
    """One pydantic error as a located problem."""
    loc, is_key = _clean(err["loc"])
    if err["type"] == "extra_forbidden" and err["loc"]:  # the unknown key as written, even 'a[b' or 'list[x]'
        loc = _clean(err["loc"][:-1])[0] + (err["loc"][-1],)
    owner = _model_at(model, loc[:-1])
    message, hint = _message(err, loc, owner, is_key)
    if err["type"] == "missing":
        location = doc.locate(at + loc[:-1])
    elif err["type"] == "too_long" and isinstance(err.get("input"), list):
        location = doc.locate(at + loc + (err["ctx"]["max_length"],))  # the first item over the limit
    else:
        location = doc.locate(at + loc, key=is_key or err["type"] == "extra_forbidden")
    return Problem(location, message, hint)

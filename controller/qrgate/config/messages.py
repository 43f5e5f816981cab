"""pydantic's validation errors as the one line a user reads: the key path, then what is wrong.

`gate.osdp_address: 500 is above 126`, `readers[0].files[1]: no such file /srv/a.png`,
`gate.relay_secs: unknown key; did you mean 'relay_seconds'?`. The first error is enough:
fix it and run the check again.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import ConfigError
from .base import is_union, unwrap

M = TypeVar("M", bound=BaseModel)

# pydantic's error type -> the TOML type the value should have had
_EXPECTED = {
    "int_type": "int", "int_from_float": "int", "int_parsing": "int",
    "float_type": "float", "float_parsing": "float",
    "string_type": "str", "bool_type": "bool", "bool_parsing": "bool",
    "list_type": "list", "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table",
}

# pydantic's error type -> what the line says; {value} is the refused value, the rest pydantic's context
_TEMPLATES = {
    "greater_than_equal": "{value!r} is below the minimum {ge}",
    "less_than_equal": "{value!r} is above {le}",
    "greater_than": "{value!r} must be above {gt}",
    "less_than": "{value!r} must be below {lt}",
    "finite_number": "{value!r} is not a finite number",
    "literal_error": "{value!r} is not one of {expected}",
    "string_too_short": "{value!r} is too short",
    "string_too_long": "{value!r} is too long",
    "too_short": "{value!r} is too short",
    "too_long": "{value!r} is too long",
}


def validate(cls: type[M], data: Any, path: str = "") -> M:
    """A `cls` from a parsed TOML table, or a ConfigError naming the first wrong key under `path`."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(one_line(exc, cls, path)) from None


def one_line(exc: ValidationError, root: type[BaseModel], path: str = "") -> str:
    error = exc.errors(include_url=False)[0]
    key, owner, tp = _key_path(root, error["loc"], path)
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "qrgate":
        if ctx.get("key"):
            key = _join(key, ctx["key"])
        return f"{key}: {ctx['message']}"
    if kind == "extra_forbidden":
        known = list(owner.model_fields) if owner else []
        hint = difflib.get_close_matches(str(error["loc"][-1]), known, n=1)
        suggestion = f"did you mean {hint[0]!r}?" if hint else f"known keys: {', '.join(known)}"
        return f"{key}: unknown key; {suggestion}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag_key = _join(key, ctx.get("discriminator", "kind").strip("'"))
        expected = ", ".join(repr(tag) for tag in _tags(tp)) or ctx.get("expected_tags", "")
        if kind == "union_tag_not_found":
            return f"{tag_key}: missing; one of {expected}"
        return f"{tag_key}: {ctx.get('tag')!r} is not one of {expected}"
    return f"{key or '(top level)'}: {_message(kind, ctx, value, error['msg'])}"


def _message(kind: str, ctx: dict, value: Any, fallback: str) -> str:
    if kind in _TEMPLATES:
        return _TEMPLATES[kind].format(value=value, **{k: _limit(v) for k, v in ctx.items()})
    if kind in _EXPECTED:
        got = "table" if isinstance(value, dict) else type(value).__name__
        shown = "" if isinstance(value, (dict, list)) else f" {value!r}"
        return f"expected {_EXPECTED[kind]}, got {got}{shown}"
    return fallback.removeprefix("Value error, ")


def _limit(number: Any) -> Any:
    """A range's bound as written in the model: 1 rather than pydantic's 1.0 for a float field."""
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _join(key: str, child: str) -> str:
    if not key:
        return child
    return key + child if child.startswith("[") else f"{key}.{child}"


def _key_path(root: type[BaseModel], loc: tuple, path: str) -> tuple[str, type[BaseModel] | None, Any]:
    """`loc` as `a.b[0].c` (a tagged union's tag left out), the model that holds its last key,
    and the type found there."""
    key, tp, owner = path, root, None
    for item in loc:
        tp = unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            owner = tp
            field = tp.model_fields.get(item) if isinstance(item, str) else None
            key, tp = _join(key, str(item)), (field.annotation if field else None)
            continue
        origin = typing.get_origin(tp)
        if origin is list and isinstance(item, int):
            key, tp = f"{key}[{item}]", typing.get_args(tp)[0]
        elif origin is dict:
            key, tp = _join(key, str(item)), typing.get_args(tp)[1]
        elif is_union(tp) and isinstance(item, str):
            tp = _variant(tp, item)  # the tag of a tagged union is no key of the file
        else:
            key, tp = (f"{key}[{item}]" if isinstance(item, int) else _join(key, str(item))), None
    return key, owner, unwrap(tp) if tp is not None else None


def _tags(union) -> list[str]:
    """The `kind` values of a tagged union's members."""
    if union is None or not is_union(union):
        return []
    return [typing.get_args(m.model_fields["kind"].annotation)[0]
            for m in typing.get_args(union) if "kind" in getattr(m, "model_fields", {})]


def _variant(union, tag: str):
    for member in typing.get_args(union):
        fields = getattr(member, "model_fields", {})
        kind = fields.get("kind")
        if kind is not None and tag in typing.get_args(kind.annotation):
            return member
    return None

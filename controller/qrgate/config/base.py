"""How a config table is declared: a pydantic model with every field described and checked.

Every table of the gate's config (and of the simulator's scenarios) is a ConfigModel:
unknown keys are refused, TOML types are taken as they are (no "3" for 3), NaN and
infinity are refused, and the string "none" stands for an unset optional value (TOML
has no null). A check that spans fields calls fail() with the key it is about, so the
one-line error still names the exact key.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError


class ConfigModel(BaseModel):
    """A config table: extra keys, loose types and non-finite numbers are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _none_means_unset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        changed = None
        for name, value in data.items():
            field = cls.model_fields.get(name)
            if (field is not None and isinstance(value, str) and value.lower() == "none"
                    and _allows_none(field.annotation)):
                changed = changed or dict(data)
                changed[name] = None
        return changed or data


def _allows_none(annotation) -> bool:
    return is_union(annotation) and type(None) in typing.get_args(annotation)


def unwrap(tp):
    """X | None -> X; Annotated[X, ...] -> X (a tagged union stays a union)."""
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if is_union(tp):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def is_union(tp) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def fail(message: str, key: str = "") -> typing.NoReturn:
    """Refuse a value from inside a validator; `key` is relative to the model being checked
    ("relay_seconds", "zones.lab.number", "files[1]"), empty for the model's own path."""
    raise PydanticCustomError("qrgate", "{message}", {"message": message, "key": key})

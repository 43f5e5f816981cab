"""Every setting of a config model, from the models' own descriptions: docs and `config describe`.

Tables nest with dots (`gate.pins.relay`), list items with `[]` (`readers[].direction`),
tables keyed by a name the user picks with `<name>` (`policy.zones.<name>.cap`). A list of
tagged tables (readers) shows every kind's fields; a field only some kinds have says which.
"""

from __future__ import annotations

import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .base import is_union, unwrap

Row = tuple[str, str, str]  # key path, default, description


def describe(cls: type[BaseModel], prefix: str = "") -> list[Row]:
    rows: list[Row] = []
    for name, field in cls.model_fields.items():
        key, doc = f"{prefix}{name}", field.description or ""
        inner = unwrap(field.annotation)
        origin = typing.get_origin(inner)
        if _is_model(inner):
            rows.append((key, "(table)", doc))
            rows += describe(inner, key + ".")
        elif origin is list and _models(typing.get_args(inner)[0]):
            rows.append((key, "(list of tables)", doc))
            rows += _describe_items(_models(typing.get_args(inner)[0]), key + "[].")
        elif origin is dict and _is_model(unwrap(typing.get_args(inner)[1])):
            rows.append((key, "(tables by name)", doc))
            rows += describe(unwrap(typing.get_args(inner)[1]), key + ".<name>.")
        else:
            rows.append((key, _default(field), doc))
    return rows


def _describe_items(models: list[type[BaseModel]], prefix: str) -> list[Row]:
    if len(models) == 1:
        return describe(models[0], prefix)
    seen: dict[str, list[tuple[str, str, str]]] = {}  # key -> (kind, default, doc) of each kind that has it
    for model in models:
        kind = typing.get_args(model.model_fields["kind"].annotation)[0]
        for key, default, doc in describe(model, prefix):
            seen.setdefault(key, []).append((kind, default, doc))
    rows = []
    for key, per_kind in seen.items():
        if key == prefix + "kind":
            rows.append((key, "(required)", per_kind[0][2]))
        elif len(per_kind) == len(models) and len({(d, doc) for _k, d, doc in per_kind}) == 1:
            rows.append((key, per_kind[0][1], per_kind[0][2]))
        else:  # a field some kinds have, or have with their own meaning
            rows.append((key, ", ".join(f"{d} ({k})" for k, d, _doc in per_kind),
                         "; ".join(f"({k}) {doc}" for k, _d, doc in per_kind)))
    return rows


def _is_model(tp) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _models(tp) -> list[type[BaseModel]]:
    """The model(s) a list item may be: one model, or each member of a tagged union."""
    tp = unwrap(tp)
    if _is_model(tp):
        return [tp]
    if is_union(tp):
        return [m for m in typing.get_args(tp) if _is_model(m)]
    return []


def _default(field) -> str:
    if field.default_factory is not None:
        return repr(field.default_factory())
    return "(required)" if field.default is PydanticUndefined else repr(field.default)

"""Configuration: one JSON Schema (``config/schema.yaml``) and typed objects built from it.

The schema fixes the structure and types (``additionalProperties: false`` everywhere, so an
unknown key is an error) and, through the custom keyword ``x-registry: <kind>``, ties a name
field to a live registry: ``methods: [gd, foo]`` fails with the list of registered methods, and
adding a method needs no schema edit.  Every problem is reported as *one* line that names the
key path, and the Snakefile exits before any job starts.

Experiments turn their validated section into frozen dataclasses with :func:`typed`.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

SCHEMA = Path(__file__).resolve().parents[2] / "config" / "schema.yaml"


def _registry_keyword(validator, kind, instance, schema):
    from jsonschema import ValidationError

    from .registry import registry

    reg = registry(kind)
    if isinstance(instance, str) and instance not in reg.declared and instance not in reg:
        yield ValidationError(f"unknown {reg.kind} {instance!r}; allowed: {', '.join(reg.names())}")


def _unknown_hp(reg, method: str, hp: Any, path: tuple, noun: str = "hyper-parameter"):
    """One error per hyper-parameter that the registered function ``method`` does not take
    (or per argument that the registered dataclass ``method`` does not have)."""
    from jsonschema import ValidationError

    allowed = reg.keywords(method) if isinstance(method, str) else None
    if allowed is None or not isinstance(hp, dict):
        return
    for key in sorted(set(hp) - allowed):
        yield ValidationError(f"unknown {noun} {key!r} of {reg.kind} {method!r}; "
                              f"allowed: {', '.join(sorted(allowed)) or 'none'}", path=(*path, key))


def _hp_keyword(validator, spec, instance, schema):
    """``x-hp: {registry: kind, name: field, fields: [hp, tune], noun: ...}`` on a method entry: the
    keys of each field are checked against the registered function's parameters (or dataclass's
    fields: an attack's ``attack_args``) at config load, before any job starts (the job checks
    again when it uses them)."""
    from .registry import registry

    if isinstance(instance, dict):
        reg = registry(spec["registry"])
        for field in spec["fields"]:
            yield from _unknown_hp(reg, instance.get(spec["name"]), instance.get(field), (field,),
                                   spec.get("noun", "hyper-parameter"))


def _hp_map_keyword(validator, kind, instance, schema):
    """``x-hp-map: kind`` on a ``{method: {hp: value}}`` mapping: the same check per method."""
    from .registry import registry

    if isinstance(instance, dict):
        for method, hp in instance.items():
            yield from _unknown_hp(registry(kind), method, hp, (method,))


def _validator(schema: dict):
    from jsonschema import Draft202012Validator, validators

    cls = validators.extend(Draft202012Validator, {"x-registry": _registry_keyword, "x-hp": _hp_keyword,
                                                   "x-hp-map": _hp_map_keyword})
    return cls(schema)


def _where(error) -> str:
    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return parts.lstrip(".") or "<top level>"


def _message(error) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return f"unknown key {', '.join(map(repr, extra))}; allowed: {', '.join(allowed)}"
    if error.validator == "type":
        return f"{error.instance!r} is not of type {error.validator_value}"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "pattern":  # the schema's description says what is allowed
        allowed = error.schema.get("description", error.validator_value).split(";")[0].strip()
        return f"{error.instance!r} is not allowed; allowed: {allowed}"
    if error.validator == "uniqueItems":
        dups = sorted({x for x in error.instance if error.instance.count(x) > 1}, key=str)
        return f"{error.instance!r} repeats {', '.join(map(repr, dups))}; each entry must be distinct"
    return error.message


def validate(config: dict, schema_path: str | Path = SCHEMA) -> None:
    """Raise :class:`ConfigError` with one line for the first problem found in ``config``."""
    from jsonschema.exceptions import best_match

    schema = yaml.safe_load(Path(schema_path).read_text())
    error = best_match(_validator(schema).iter_errors(config))
    if error is not None:
        raise ConfigError(f"config error at {_where(error)}: {_message(error)}")
    tuning_seeds_apart(config)


def tuning_seeds_apart(config: dict) -> None:
    """P1 tunes its methods on seeds it never reports (PAPERS.md §P1; the brief: tune on seeds you do
    not report): a reported seed, the section's or a setting's own, among ``tuning.seeds`` is an error.
    A rule across keys, so JSON Schema cannot state it."""
    from .experiments.poison_unlearning.plan import TUNING_SEEDS

    section = config.get("poison_unlearning") or {}
    tuning = set((section.get("tuning") or {}).get("seeds", TUNING_SEEDS))
    where = {"poison_unlearning.seeds": section.get("seeds") or []}
    where |= {f"poison_unlearning.settings[{i}].seeds": s["seeds"] for i, s in enumerate(section.get("settings") or []) if "seeds" in s}
    for key, seeds in where.items():
        if both := sorted(tuning & set(seeds)):
            raise ConfigError(f"config error at {key}: seed(s) {both} are also tuning seeds "
                              f"(poison_unlearning.tuning.seeds {sorted(tuning)}); a reported seed must not be tuned on")


def validate_or_exit(config: dict, schema_path: str | Path = SCHEMA) -> None:
    """For the Snakefile: print the one-line error and exit 2 before the DAG is built."""
    try:
        validate(config, schema_path)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def read(path: str | Path) -> dict:
    """Read a config file (``yaml.safe_load``: never constructs Python objects) without
    validating it; a missing file names the available profiles, a YAML error its line."""
    path = Path(path)
    if not path.is_file():
        profiles = sorted(p.stem for p in path.parent.glob("*.yaml") if p.name != "schema.yaml")
        hint = f"; available profiles in {path.parent}/: {', '.join(profiles)}" if profiles else ""
        raise ConfigError(f"config file {path} not found (profile {path.stem!r}){hint}")
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {str(e).splitlines()[0]}") from None
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, not a {type(config).__name__}")
    return config


def load(path: str | Path) -> dict:
    """Read and validate a config file."""
    config = read(path)
    validate(config)
    return config


T = typing.TypeVar("T")


def typed(cls: type[T], data: Any, where: str = "") -> T:
    """Build the dataclass ``cls`` from a validated dict, recursively, by its type hints."""
    return _convert(cls, data, where or cls.__name__)


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"config error at {where}: expected a mapping")
        hints = typing.get_type_hints(tp)
        fields = {f.name for f in dataclasses.fields(tp)}
        unknown = sorted(set(value) - fields)
        if unknown:
            raise ConfigError(f"config error at {where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(fields))}")
        return tp(**{k: _convert(hints[k], v, f"{where}.{k}") for k, v in value.items()})
    if origin in (list, tuple):
        (inner, *_) = typing.get_args(tp) or (Any,)
        return origin(_convert(inner, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        _, inner = typing.get_args(tp)
        return {k: _convert(inner, v, f"{where}.{k}") for k, v in value.items()}
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if value is None else _convert(args[0], value, where)
    return value

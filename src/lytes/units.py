"""Quantities typed by people: parsing "2 g", "1.1 mg/dL", "35 mL/min/1.73m2" with pint, with clear errors."""

from __future__ import annotations

import functools
import re

from .errors import InputError


@functools.lru_cache(maxsize=1)
def registry():
    import pint

    ureg = pint.UnitRegistry(cache_folder=":auto:")
    return ureg


_SPACE_UNIT = re.compile(r"^\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_ALIASES = {
    "mL/min/1.73m2": "mL/min",
    "ml/min/1.73m2": "mL/min",
    "mL/min/1.73 m2": "mL/min",
    "mL/min/1.73m^2": "mL/min",
    "y": "year",
    "yr": "year",
    "d": "day",
    "wk": "week",
    "wks": "week",
}


MAX_QUANTITY_CHARS = 100


def split(text: str, field: str) -> tuple[float, str]:
    """Split "4 g" into (4.0, "g"); raise InputError naming the field if it is not a number with a unit."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        raise InputError(field, text, "a quantity with a unit, e.g. '4 g'")
    if not isinstance(text, str):
        raise InputError(field, text, "a quantity with a unit, e.g. '4 g'")
    if len(text) > MAX_QUANTITY_CHARS:  # a quantity is short; a huge string would only slow the unit parser
        raise InputError(field, text, f"a quantity of at most {MAX_QUANTITY_CHARS} characters, e.g. '4 g'")
    match = _SPACE_UNIT.match(text)
    if not match or not match.group(2):
        raise InputError(field, text, "a number followed by a unit, e.g. '4 g' or '1.1 mg/dL'")
    number = float(match.group(1))
    unit = match.group(2).strip()
    return number, _ALIASES.get(unit, unit)


def parse(text: str, field: str, to: str, allowed: str | None = None) -> float:
    """Parse a quantity and convert it to unit ``to``; the error names the field, the value and what is allowed."""
    number, unit = split(text, field)
    factor = _factor(unit, to)
    if factor is None:
        raise InputError(field, text, allowed or f"a quantity convertible to {to}")
    scale, offset = factor
    return number * scale + offset


@functools.lru_cache(maxsize=4096)
def _factor(unit: str, to: str) -> tuple[float, float] | None:
    """(scale, offset) taking a number in ``unit`` to ``to`` (pint parses each pair once: a population re-reads the
    same few units thousands of times); None when they do not convert."""
    ureg = registry()
    try:
        zero = float(ureg.Quantity(0.0, ureg.parse_units(unit)).to(to).magnitude)
        one = float(ureg.Quantity(1.0, ureg.parse_units(unit)).to(to).magnitude)
    except Exception:  # pint raises several kinds; all mean the unit does not fit
        return None
    return one - zero, zero


def convert(value: float, unit: str, to: str) -> float:
    factor = _factor(unit, to)
    if factor is None:
        raise ValueError(f"{unit} does not convert to {to}")
    return value * factor[0] + factor[1]

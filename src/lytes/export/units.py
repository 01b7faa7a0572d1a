"""The model's unit strings ("mmol/h", "L/h/kg", "ng/L") as SBML unit definitions.

A unit string is a numerator atom followed by ``/``-separated denominator atoms. Each atom is an SBML base unit
with a scale (power of ten) and a multiplier (hours and days in seconds). Insulin and heparin units (U, kU) have no
SBML kind: they are dimensionless, with a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# atom: (SBML kind, scale, multiplier)
ATOMS = {
    "mmol": ("mole", -3, 1.0),
    "mol": ("mole", 0, 1.0),
    "L": ("litre", 0, 1.0),
    "mL": ("litre", -3, 1.0),
    "g": ("gram", 0, 1.0),
    "mg": ("gram", -3, 1.0),
    "kg": ("gram", 3, 1.0),
    "ng": ("gram", -9, 1.0),
    "pg": ("gram", -12, 1.0),
    "h": ("second", 0, 3600.0),
    "min": ("second", 0, 60.0),
    "day": ("second", 0, 86400.0),
    "mV": ("volt", -3, 1.0),
    "m": ("metre", 0, 1.0),
    "U": ("dimensionless", 0, 1.0),
    "kU": ("dimensionless", 0, 1000.0),
    "%": ("dimensionless", 0, 0.01),
}
NOTES = {"U": "international units (of insulin activity); dimensionless in SBML", "%": "percent"}


@dataclass(frozen=True)
class Unit:
    id: str  # an SBML UnitSId ("dimensionless" for "1")
    text: str  # as lytes writes it
    parts: tuple[tuple[str, float, int, float], ...]  # (kind, exponent, scale, multiplier)


def unit_id(text: str) -> str:
    if text in ("1", ""):
        return "dimensionless"
    if text == "%":
        return "percent"
    ident = text.replace("/", "_per_").replace("%", "percent")
    if ident.startswith("1_per_"):
        ident = ident[2:]
    ident = re.sub(r"\W", "_", ident)
    return ident if ident[0].isalpha() else f"u_{ident}"


def parse_unit(text: str) -> Unit:
    """The SBML definition of a lytes unit string; an unknown atom is refused by name."""
    if text in ("1", ""):
        return Unit("dimensionless", "1", ())
    atoms = text.split("/")
    parts = []
    for k, atom in enumerate(atoms):
        if k == 0 and atom == "1":
            continue
        atom, _, power = atom.partition("^")  # "m^2"
        if atom not in ATOMS or (power and not power.isdigit()):
            raise ValueError(f"unit {text!r}: {atom!r} has no SBML definition in lytes.export.units.ATOMS")
        kind, scale, multiplier = ATOMS[atom]
        parts.append((kind, (1.0 if k == 0 else -1.0) * int(power or 1), scale, multiplier))
    return Unit(unit_id(text), text, tuple(parts))

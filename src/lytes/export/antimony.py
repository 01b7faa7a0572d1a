"""ModelData as Antimony text, written directly (no dependency): the same model as the SBML export, readable by
the antimony package and tellurium (``te.loada(text)``). Notes become comments; SBML carries them as notes."""

from __future__ import annotations

import math

from .infix import number
from .model import ModelData
from .units import ATOMS, parse_unit

BASE = {"mole", "litre", "gram", "second", "volt", "metre", "dimensionless"}
ATOM_IDS = {"%": "percent"}  # atoms whose text is no identifier


def _comment(text: str) -> str:
    return f"  // {' '.join(text.split())}" if text else ""


def _unit_lines(units: dict[str, str]) -> list[str]:
    """Atoms first (``unit mmol = 1e-3 mole``), then the compound units written with them."""
    atoms: dict[str, str] = {}
    for text in units.values():
        for atom in text.split("/"):
            atom = atom.partition("^")[0]  # "m^2"
            if atom != "1":
                atoms[ATOM_IDS.get(atom, atom)] = atom
    lines = []
    for aid, atom in sorted(atoms.items()):
        kind, scale, multiplier = ATOMS[atom]
        factor = multiplier * 10.0**scale
        lines.append(f"  unit {aid} = {kind}" if factor == 1 else f"  unit {aid} = {factor:g} {kind}")
    for uid, text in sorted(units.items()):
        if uid in atoms or uid == "dimensionless":
            continue
        parts = [ATOM_IDS.get(a, a) for a in text.split("/")]
        num = "1" if parts[0] == "1" else parts[0]
        den = parts[1:]
        expr = num if not den else f"{num} / {den[0]}" if len(den) == 1 else f"{num} / ({' * '.join(den)})"
        lines.append(f"  unit {uid} = {expr}")
    return lines


def _value(value: float, unit: str) -> str:
    text = number(value)
    return f"{text} {unit}" if unit and unit != "dimensionless" else text


def to_antimony(md: ModelData) -> str:
    units = dict(md.units) | {"h": "h", "mmol": "mmol"}
    for text in list(units.values()):
        parse_unit(text)  # refuse an unknown unit here as SBML would
    out = [f"// {line}" for line in md.notes]
    out += ["", f"model *{md.id}()", "", "  // units: time in hours, amounts in mmol"]
    out += _unit_lines(units)
    out += ["  unit time_unit = h", "  unit substance = mmol", "  unit extent = mmol", "  unit volume = litre", ""]
    out.append("  // compartments: a nominal 1 L each; species are amounts (substanceOnly)")
    for cid, what in md.compartments.items():
        out.append(f"  compartment {cid} = 1 litre{_comment(what)}")
    out += ["", "  // species (amount states moved by the fluxes)"]
    for s in md.species:
        out.append(f"  substanceOnly species {s.id} in {s.compartment} = {_value(s.amount, s.unit)}{_comment(s.notes)}")
    out += ["", "  // reactions: one per flux (mmol/h), source -> target"]
    for r in md.reactions:
        out.append(f"  {r.id}: {r.source or ''} -> {r.target or ''}; {r.formula}")
    out += ["", "  // states that are not amounts: rate rules"]
    for variable, formula in md.rate_rules.items():
        q = next(q for q in md.parameters if q.id == variable)
        out.append(f"  {variable}' = {formula}")
        out.append(f"  {variable} = {_value(q.value, q.unit)}{_comment(q.notes)}")
    sections = (
        ("parameter", "parameters of the table (value in the unit the equations use; table value and source)"),
        ("patient", "the patient"),
        ("derived", "derived parameters (initial assignments from the others)"),
        ("input", "inputs: set by the scenario, changed by the events below"),
    )
    for kind, title in sections:
        out += ["", f"  // {title}"]
        for q in md.parameters:
            if q.kind != kind:
                continue
            if q.id in md.initial_assignments:
                out.append(f"  {q.id} = {md.initial_assignments[q.id]}")
                continue
            prefix = "var " if not q.constant else ""
            value = _value(q.value, q.unit) if math.isfinite(q.value) else "0"
            out.append(f"  {prefix}{q.id} = {value}{_comment(q.notes)}")
    out += ["", "  // algebraic variables and the lytes result series: assignment rules"]
    units_of = {q.id: q.unit for q in md.parameters}
    for variable, formula in md.assignment_rules.items():
        out.append(f"  {variable} := {formula}")
        if units_of.get(variable) and units_of[variable] != "dimensionless":
            out.append(f"  {variable} has {units_of[variable]}")
    if md.events:
        out += ["", "  // the scenario's inputs and doses: events at the segment boundaries"]
    for e in md.events:
        assignments = ", ".join(f"{v} = {f}" for v, f in e.assignments)
        trigger = f"at time >= {number(e.time)}, t0 = false, persistent = true, fromTrigger = true"
        out.append(f"  {e.id}: {trigger}: {assignments}{_comment(e.notes)}")
    out += ["end", ""]
    return "\n".join(out)

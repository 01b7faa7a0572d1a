"""The model of one run as plain data (compartments, species, parameters, rules, reactions, events), read from the
same ModelBuilder the engines are generated from; the SBML and Antimony writers print it.

- Amount states moved by fluxes are species (amounts, ``hasOnlySubstanceUnits``) in nominal 1 L compartments named
  for where the pool is (ECF, cells, stomach, ...). The intake accounts (``K_in``: what is still to be taken in,
  falling as intake enters) are species too, so the export keeps lytes' mass balance; a flux without a source (or
  target) is a reaction without reactants (or products).
- Every other state (hormones, adaptations, drug amounts, ECF volume) is a parameter with a rate rule.
- Parameters of the table (and the patient's) are constants with their value in the unit the equations use, and
  notes with the table's value, unit, evidence grade, description and source. Derived parameters are constants with
  an initial assignment from the others (and their computed value).
- Algebraic variables are assignment rules; each flux is a reaction whose id is the flux's name (SBML reads a
  reaction's id in a formula as its rate).
- Inputs (diet, infusions, condition factors, dialysis, drug PK of the member given) are parameters that events set
  at the scenario's segment boundaries; oral and IM doses are event jumps of the states they land in.
- The lytes result series (``K_serum``, ``FE_Mg``, ``body_K``, ...) are assignment rules of the same name, or the
  state itself where the series is a state (``PTH``; cumulative ``K_urine``; ``K_dialysis`` is species ``K_other``,
  as the flux ``K_dialysis`` has that id).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .infix import infix, number
from .units import parse_unit

# state name suffix -> compartment (id, description); a new pool falls back to its role's compartment
COMPARTMENTS = {
    "intake": "what is still to be taken in: the source of every intake (falls as food and doses are taken)",
    "stomach": "stomach (oral doses and meals land here)",
    "gut": "intestinal lumen",
    "ecf": "extracellular fluid (plasma and interstitial fluid)",
    "muscle_isf": "muscle interstitial fluid (perfusion-limited)",
    "cells": "intracellular fluid",
    "im_depot": "intramuscular injection depot",
    "bone": "bone (exchangeable surface and mineral)",
    "urine": "urine (cumulative from t = 0)",
    "faeces": "faeces (cumulative from t = 0)",
    "removed": "removed by dialysis, ultrafiltration or other routes (cumulative from t = 0)",
    "body": "body",
}
SUFFIX = {
    "in": "intake",
    "stomach": "stomach",
    "gut": "gut",
    "ecf": "ecf",
    "isf": "muscle_isf",
    "icf": "cells",
    "cell": "cells",
    "cell_fast": "cells",
    "im": "im_depot",
    "bone_fast": "bone",
    "bone_slow": "bone",
    "urine": "urine",
    "faeces": "faeces",
    "other": "removed",
}
ROLE = {"intake": "intake", "lumen": "gut", "urine": "urine", "faeces": "faeces", "other": "removed"}
ACCUMULATORS = ("intake", "urine", "faeces", "other")
# names a formula cannot use for a model symbol (SBML L3 formula constants and functions, Antimony keywords)
RESERVED = {
    "time",
    "avogadro",
    "e",
    "pi",
    "exponentiale",
    "true",
    "false",
    "inf",
    "infinity",
    "nan",
    "notanumber",
    "exp",
    "ln",
    "log",
    "abs",
    "piecewise",
    "at",
    "in",
    "model",
    "end",
    "species",
    "compartment",
    "var",
    "const",
    "unit",
    "has",
    "is",
    "import",
    "function",
    "formula",
    "reaction",
    "event",
    "delete",
    "substanceOnly",
}


@dataclass
class Quantity:
    id: str
    value: float
    unit: str
    notes: str = ""
    constant: bool = True
    kind: str = "parameter"  # parameter | patient | derived | input | state | output | variable
    annotation: dict = field(default_factory=dict)  # machine-readable notes (table value, unit, evidence, source)


@dataclass
class Species:
    id: str
    compartment: str
    amount: float
    unit: str
    notes: str = ""


@dataclass
class Reaction:
    id: str
    source: str | None
    target: str | None
    formula: str


@dataclass
class Event:
    id: str
    time: float
    assignments: list[tuple[str, str]]  # (variable, formula)
    notes: str = ""


@dataclass
class ModelData:
    id: str
    name: str
    notes: list[str]
    compartments: dict[str, str]
    species: list[Species]
    parameters: list[Quantity]  # in declaration order: table, patient, derived, inputs, rate-rule states, variables
    initial_assignments: dict[str, str]
    assignment_rules: dict[str, str]  # id -> formula, in dependency order
    rate_rules: dict[str, str]
    reactions: list[Reaction]
    events: list[Event] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # lytes series -> the id that holds it
    units: dict[str, str] = field(default_factory=dict)  # unit id -> lytes unit text

    def ids(self) -> set[str]:
        return {s.id for s in self.species} | {q.id for q in self.parameters} | {r.id for r in self.reactions}


def builder_for(c):
    """The ModelBuilder whose generated code ``c`` is (the full model or the variant without drug states)."""
    from ..model import build

    for classes in (None, ()):
        m = build(classes)
        if tuple(m.states) == c.layout.states:
            return m
    raise ValueError("the compiled model matches no model variant the exporter knows (full, or without drugs)")


def _compartment(name: str, role: str) -> str:
    suffix = name.split("_", 1)[1] if "_" in name else ""
    return SUFFIX.get(suffix) or ROLE.get(role, "body")


def _output_formulas(m) -> dict[str, sp.Expr]:
    """The lytes result series (lytes.result.build_result) as expressions of the model's symbols."""
    s = m.sym
    fe = {}
    for ion in ("K", "Mg", "Na", "Ca"):
        filtered = s(f"{ion}_filtered")
        fe[f"FE_{ion}"] = sp.Piecewise((100 * s(f"{ion}_urinary") / filtered, filtered > 0), (0, True))
    out = {
        "K_serum": s("K_o"),
        "Mg_serum": s("Mg_tot"),
        "Mg_ionized": s("Mg_ion"),
        "Na_serum": s("Na_o"),
        "Ca_ionized": s("Ca_ion"),
        "Ca_total": s("Ca_tot"),
        "PTH": s("PTH"),
        "aldosterone": s("ALD"),
        "K_cell": s("K_i"),
        "Na_cell": s("Na_i"),
        "Mg_cell_free": s("Mg_i"),
        "K_urine_rate": s("K_urinary"),
        "Mg_urine_rate": s("Mg_urinary"),
        "Na_urine_rate": s("Na_urinary"),
        "Ca_urine_rate": s("Ca_urinary"),
        **fe,
        "pump_activity": s("pump_capacity"),
        "romk_activity": s("romk_activity"),
        "membrane_potential": s("Em"),
        "excitability_margin": s("excitability_margin"),
        "ECF_volume": s("V_ecf"),
    }
    for ion in ("K", "Mg", "Na", "Ca"):
        out[f"body_{ion}"] = sp.Add(*[s(n) for n, st in m.states.items() if st.ion == ion and st.role == "body"])
        out[f"{ion}_urine"] = s(f"{ion}_urine")
        out[f"{ion}_dialysis"] = s(f"{ion}_other")
    if "digoxin_serum" in m.algebraic:
        out["digoxin_serum"] = s("digoxin_serum")
        out["digoxin_pump_occupancy"] = s("drug_pump_inhibition")
    return out


def _notes_parameter(name: str, value: float, unit: str, rows: dict) -> tuple[str, dict]:
    from ..model import PATIENT_PARAMETERS

    if name in PATIENT_PARAMETERS:
        text = f"{PATIENT_PARAMETERS[name][1]} ({number(value)} {unit}), from the scenario's patient"
        return text, {"origin": "patient", "description": PATIENT_PARAMETERS[name][1]}
    from ..model.parameters import EVIDENCE

    row = rows[name]
    text = (
        f"{row.description}. Table value {row.value:g} {row.unit}"
        + (f" (= {number(value)} {unit} in the equations)" if row.unit != unit else "")
        + f"; evidence {row.evidence} ({EVIDENCE[row.evidence]}); source: {row.source}"
    )
    annotation = {
        "origin": "parameter table",
        "table_value": repr(row.value),
        "table_unit": row.unit,
        "evidence": row.evidence,
        "description": row.description,
        "source": row.source,
    }
    return text, annotation


def describe(
    c,
    p: np.ndarray,
    y0: np.ndarray,
    segments=(),
    *,
    model_id: str = "lytes",
    name: str = "lytes",
    notes=(),
    derived_as_assignments: bool = True,
    outputs: bool = True,
) -> ModelData:
    """The model with parameter vector ``p`` (lytes.engine.codegen.parameter_vector), initial state ``y0`` and, if
    given, the run's segments (lytes.simulation.segments) as events; without segments the inputs take their
    defaults. ``derived_as_assignments=False`` leaves derived parameters as plain values (the roadrunner engine
    sets them from ``p``); ``outputs=False`` leaves out the result series' rules (the engine computes them itself)."""
    from ..model.parameters import table
    from ..result import DIGOXIN_SERIES, SERIES

    m = builder_for(c)
    layout = c.layout
    values = dict(zip(layout.params, np.asarray(p, dtype=float)))
    rows = table()
    ends = {f.source for f in m.fluxes} | {f.target for f in m.fluxes}
    units: dict[str, str] = {}

    def unit(text: str) -> str:
        u = parse_unit(text)
        units[u.id] = text
        return u.id

    species, parameters = [], []
    compartments: dict[str, str] = {}
    rate_rules: dict[str, str] = {}
    for i, (sname, st) in enumerate(m.states.items()):
        if sname in ends:
            comp = _compartment(sname, st.role)
            compartments[comp] = COMPARTMENTS[comp]
            species.append(Species(sname, comp, float(y0[i]), unit(st.unit), st.description))
        else:
            parameters.append(Quantity(sname, float(y0[i]), unit(st.unit), st.description, False, "state"))
            rate_rules[sname] = infix(m.rates.get(sname, 0))
    for pname in layout.base_params:
        text, annotation = _notes_parameter(pname, values[pname], m.params[pname], rows)
        kind = "patient" if annotation["origin"] == "patient" else "parameter"
        parameters.append(Quantity(pname, values[pname], unit(m.params[pname]), text, True, kind, annotation))
    initial: dict[str, str] = {}
    for dname, expr in m.derived.items():
        parameters.append(
            Quantity(dname, values[dname], "", "derived from other parameters (calibration to the reference state)")
        )
        if derived_as_assignments:
            initial[dname] = infix(expr)
    u0 = segments[0].u if len(segments) else np.array(layout.input_defaults, dtype=float)
    for k, iname in enumerate(layout.inputs):
        spec = m.inputs[iname]
        text = f"{spec.description} (input: set by the scenario, changed by events)"
        parameters.append(Quantity(iname, float(u0[k]), unit(spec.unit), text, False, "input"))
    flux_names = {f.name for f in m.fluxes}
    assignment: dict[str, str] = {}
    from ..engine.codegen import _topological

    for vname in _topological(m.algebraic):
        if vname in flux_names:
            continue
        parameters.append(Quantity(vname, float("nan"), "", "", False, "variable"))
        assignment[vname] = infix(m.algebraic[vname])
    reactions = [Reaction(f.name, f.source, f.target, infix(f.expr)) for f in m.fluxes]

    taken = {s.id for s in species} | {q.id for q in parameters} | flux_names
    index = {n: i for i, n in enumerate(layout.states)}
    series_out: dict[str, str] = {}
    described = SERIES | DIGOXIN_SERIES
    for series, expr in (_output_formulas(m) if outputs else {}).items():
        state = index.get(expr.name) if expr.is_Symbol else None
        if state is not None and layout.state_roles[state] in ACCUMULATORS and y0[state] != 0:
            expr, state = expr - float(y0[state]), None  # a running total that did not start at 0: from t = 0
        if series in taken:
            if expr.is_Symbol:  # the series is that symbol (PTH, romk_activity), or its name is taken (K_dialysis)
                series_out[series] = expr.name
                continue
            oid = f"{series}_series"
        else:
            oid = series
        unit_text, what = described[series]
        text = f"lytes result series {series}: {what}"
        parameters.append(Quantity(oid, float("nan"), unit(unit_text), text, False, "output"))
        assignment[oid] = infix(expr)
        series_out[series] = oid
        taken.add(oid)

    events = []
    for k, seg in enumerate(segments):
        changes = []
        if k > 0:
            before = segments[k - 1].u
            changes = [(layout.inputs[j], number(seg.u[j])) for j in range(len(layout.inputs)) if seg.u[j] != before[j]]
        jumps: dict[str, float] = {}
        for state_index, amount in seg.jumps:
            sname = layout.states[state_index]
            jumps[sname] = jumps.get(sname, 0.0) + float(amount)
        changes += [
            (sname, f"{sname} + {number(a)}" if a >= 0 else f"{sname} - {number(-a)}") for sname, a in jumps.items()
        ]
        if changes:
            events.append(Event(f"event_{len(events) + 1}", float(seg.t0), changes, f"t = {seg.t0:g} h"))

    atoms = {"percent" if a == "%" else a for text in units.values() for a in text.split("/")}
    clash = (set(units) | atoms) & taken
    if clash:
        raise ValueError(f"unit ids {sorted(clash)} clash with model symbols")
    reserved = RESERVED & taken
    if reserved:
        raise ValueError(f"model symbols {sorted(reserved)} are reserved words in SBML or Antimony formulas")
    return ModelData(
        model_id,
        name,
        list(notes),
        compartments,
        species,
        parameters,
        initial,
        assignment,
        rate_rules,
        reactions,
        events,
        series_out,
        units,
    )

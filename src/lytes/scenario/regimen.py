"""Turn a Scenario into what the engine takes: the patient, constant inputs, timed input changes and state jumps.

- Inputs (the model's hooks: diet rates, infusions, drug infusions, condition factors, dialysis, tissue lysis) are
  piecewise constant: ``base`` from t = 0, changed by ``changes`` on [t0, t1) ("set" replaces, "add" adds,
  "mul" multiplies).
- Doses that land at once (oral salts into the stomach, IM MgSO4 into its depot, drug doses into their depot or
  central compartment) are ``jumps`` of a state at a time, matched by the same amount leaving the ``<ion>_in``
  account so mass balance holds.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from dataclasses import dataclass, field
from importlib import resources

import yaml

from ..errors import InputError
from ..patient import PREGNANCY_EGFR, Patient
from ..units import parse, split
from .dialysis import add_dialysis, chronic_from_history, standing_in
from .products import ION_MOLAR_MASS, ION_VALENCE, Product, products
from .schema import MAX_DURATION_H, MAX_HISTORY_H, DietSpec, InterventionSpec, MedicationSpec, Scenario
from .vocabulary import route as route_name

IONS = ("K", "Mg", "Na", "Ca")
DEFAULT_DIET = {"K": "80 mmol/day", "Mg": "12 mmol/day", "Na": "150 mmol/day", "Ca": "25 mmol/day"}
# chronic intakes a living adult can be in steady state on (mmol/day): the diet also sets the initial steady state
DIET_LIMITS = {
    "K": (0.0, 400.0),
    "Mg": (0.0, 80.0),
    "Na": (5.0, 600.0),
    "Ca": (5.0, 75.0),
}  # Na: Kempner rice diet ~6 mmol/day; Ca: 200 mg/day
MAX_DOSES = 20000
PREECLAMPSIA_EGFR = 0.7 * PREGNANCY_EGFR
ESRD_EGFR = 0.0  # the esrd condition without an eGFR: anuric (no residual kidney function)


@dataclass(frozen=True)
class Change:
    t0: float
    t1: float
    input: str
    value: float
    mode: str = "add"  # add | set | mul


@dataclass(frozen=True)
class Jump:
    t: float
    state: str
    amount: float
    tag: str = ""  # the product, for daily totals


@dataclass
class Regimen:
    name: str
    patient: Patient
    duration: float  # h
    base: dict[str, float] = field(default_factory=dict)  # inputs from t = 0 (also the initial steady state's)
    changes: list[Change] = field(default_factory=list)
    jumps: list[Jump] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    members: dict[str, str] = field(default_factory=dict)  # drug class -> the member given (its PK is the class's)


@functools.cache
def _data(name: str) -> dict:
    return yaml.safe_load(resources.files("lytes.data").joinpath(name).read_text(encoding="utf-8"))


def drugs() -> dict:
    """Drugs a scenario can give or take (the meal entry of drugs.yaml is used by the meal event only)."""
    return {k: v for k, v in _data("drugs.yaml").items() if not v.get("event_only")}


def meal_insulin_per_gram() -> float:
    return float(_data("drugs.yaml")["meal"]["potency"])


def conditions() -> dict:
    return _data("conditions.yaml")


def foods() -> dict:
    return _data("foods.yaml")


def _time(text, where: str) -> float:
    return parse(text, where, "h", "a time, e.g. '20 min', '2 h' or '3 d'")


def _closest(name: str, options) -> str:
    match = difflib.get_close_matches(str(name).lower(), [o.lower() for o in options], n=1, cutoff=0.5)
    if not match:
        return ""
    original = next(o for o in options if o.lower() == match[0])
    return f" (did you mean {original}?)"


def _per_ion(text, where: str, ion: str, to: str, allowed: str) -> float:
    """A quantity of an ion in mmol-based units: accepts mmol, mEq (divided by valence) and mg of the element."""
    number, unit = split(text, where)
    base = to.split("/", 1)
    if unit.lower().startswith("meq"):
        rest = unit[3:]
        return parse(f"{number} mmol{rest}", where, to, allowed) / ION_VALENCE[ion]
    try:
        return parse(text, where, to, allowed)
    except InputError:
        mass_unit = "mg" + (f"/{base[1]}" if len(base) > 1 else "")
        return parse(text, where, mass_unit, allowed) / ION_MOLAR_MASS[ion]


# ----------------------------------------------------------------------------------------------------- diet
def diet_rates(spec: DietSpec | None, where: str, previous: dict[str, float] | None = None) -> dict[str, float]:
    """Diet in mmol/h per ion; unspecified ions keep ``previous`` (or the healthy default); foods add on top."""
    out = {}
    for ion in IONS:
        text = getattr(spec, ion) if spec is not None else None
        if text is None:
            if previous is not None:
                out[ion] = previous[ion]
                continue
            text = DEFAULT_DIET[ion]
        low, high = DIET_LIMITS[ion]
        allowed = f"an intake of {ion} per day, e.g. '80 mmol/day' or '300 mg/day', from {low:g} to {high:g} mmol/day"
        per_day = _per_ion(text, f"{where}.{ion}", ion, "mmol/day", allowed)
        if not low <= per_day <= high:
            raise InputError(f"{where}.{ion}", text, allowed)
        out[ion] = per_day / 24.0
    if spec is not None and spec.foods:
        table = foods()
        for name, amount in spec.foods.items():
            key = str(name).lower().replace(" ", "_")
            if key not in table:
                raise InputError(f"{where}.foods.{name}", name, f"one of {', '.join(table)}" + _closest(key, table))
            food = table[key]
            if isinstance(amount, (int, float)) and not isinstance(amount, bool):
                grams = float(amount) * food["serving_g"]  # servings per day
            else:
                grams = parse(amount, f"{where}.foods.{name}", "g", "servings per day (a number) or grams, e.g. '30 g'")
            if not 0 <= grams <= 3000:
                raise InputError(f"{where}.foods.{name}", amount, "0 to 3 kg of a food per day")
            out["K"] += grams / 100 * food["K_mg"] / ION_MOLAR_MASS["K"] / 24
            out["Mg"] += grams / 100 * food["Mg_mg"] / ION_MOLAR_MASS["Mg"] / 24
    return out


# ------------------------------------------------------------------------------------------------- patient
def _patient(scenario: Scenario) -> Patient:
    spec = scenario.patient
    names = [(c if isinstance(c, str) else c.get("condition", "")) for c in spec.conditions]
    creatinine = None
    if spec.creatinine is not None:
        number, unit = split(spec.creatinine, "patient.creatinine")
        if unit.lower() in ("umol/l", "µmol/l"):
            creatinine = number / 88.42
        else:
            creatinine = parse(spec.creatinine, "patient.creatinine", "mg/dL", "a serum creatinine in mg/dL or umol/L")
    egfr = None
    if spec.egfr is not None:
        egfr = parse(spec.egfr, "patient.egfr", "mL/min", "an eGFR in mL/min/1.73m2, e.g. '35 mL/min/1.73m2'")
    elif creatinine is None and "preeclampsia" in [n.lower() for n in names]:
        egfr = PREECLAMPSIA_EGFR
    elif creatinine is None and "esrd" in [n.lower() for n in names]:
        egfr = ESRD_EGFR
    return Patient(
        weight_kg=parse(spec.weight, "patient.weight", "kg", "a body weight, e.g. '70 kg'"),
        height_cm=None
        if spec.height is None
        else parse(spec.height, "patient.height", "cm", "a height, e.g. '165 cm'"),
        sex=spec.sex.lower(),
        age_y=parse(spec.age, "patient.age", "year", "an age, e.g. '40 y'"),
        egfr=egfr,
        creatinine_mg_dl=creatinine,
        conditions=tuple(n.lower() for n in names),
    )


def _condition_name(item) -> str:
    return str(item if isinstance(item, str) else dict(item).get("condition", "")).lower()


def _apply_conditions(reg: Regimen, items, where: str, t0: float = 0.0) -> None:
    """Condition factors multiply into ``reg.base``; losses add; AKI becomes a timed GFR change."""
    table = conditions()
    seen: set[str] = set()
    for i, item in enumerate(items):
        spec = {"condition": item} if isinstance(item, str) else dict(item)
        name = str(spec.pop("condition", "")).lower()
        here = f"{where}[{i}]"
        if name in seen:
            raise InputError(here, name, "each condition once (its severity is in its own keys)")
        seen.add(name)
        if name not in table:
            raise InputError(here, name or item, f"one of {', '.join(table)}" + _closest(name, table))
        data = table[name]
        if name == "ckd" and reg.patient.egfr_value >= data["requires_egfr_below"]:
            raise InputError(
                here, "ckd", f"an eGFR below {data['requires_egfr_below']} in patient.egfr (or creatinine)"
            )
        if name in ("pregnancy", "preeclampsia") and reg.patient.sex != "female":
            raise InputError(here, name, "pregnancy only for a female patient")
        if name == "esrd" and reg.patient.egfr_value > data["requires_egfr_at_most"]:
            raise InputError(
                here, "esrd", f"an eGFR of at most {data['requires_egfr_at_most']} in patient.egfr (or none: anuric)"
            )
        if name == "aki":
            _aki(reg, spec, here)
            continue
        if name == "rhabdomyolysis":
            _rhabdomyolysis(reg, spec, here, data)
            continue
        allowed_keys = set(data.get("loss", {}))
        unknown = set(spec) - allowed_keys
        if unknown:
            key = sorted(unknown)[0]
            raise InputError(f"{here}.{key}", spec[key], f"keys of {name}: {', '.join(sorted(allowed_keys)) or 'none'}")
        for hook, factor in data.get("inputs", {}).items():
            reg.base[hook] = reg.base.get(hook, 1.0) * float(factor)
        for ion, factor in data.get("diet", {}).items():
            reg.base[f"diet_{ion}"] *= float(factor)
        for ion, default in data.get("loss", {}).items():
            text = spec.get(ion, default)
            per_day = _per_ion(text, f"{here}.{ion}", ion, "mmol/day", f"a loss of {ion} per day, e.g. '{default}'")
            if not 0 <= per_day <= 500:
                raise InputError(f"{here}.{ion}", text, "a loss from 0 to 500 mmol/day")
            reg.base[f"gi_loss_{ion}"] = reg.base.get(f"gi_loss_{ion}", 0.0) + per_day / 24


def _rhabdomyolysis(reg: Regimen, spec: dict, where: str, data: dict) -> None:
    """Rhabdomyolysis: a tissue breakdown event of the condition's typical size unless the scenario gives its own."""
    allowed = {"muscle", "over", "at"}
    for key in spec:
        if key not in allowed:
            raise InputError(f"{where}.{key}", spec[key], "keys of rhabdomyolysis: muscle, over, at")
    iv = InterventionSpec(
        at=spec.get("at", "0 h"),
        event="tissue_breakdown",
        muscle=spec.get("muscle", data["muscle"]),
        over=spec.get("over", data["over"]),
    )
    start = _time(iv.at, f"{where}.at")
    if not 0 <= start <= reg.duration:
        raise InputError(f"{where}.at", iv.at, "a time from 0 to the scenario's duration")
    _event(reg, iv, where, start, [])


def _aki(reg: Regimen, spec: dict, where: str) -> None:
    for key in spec:
        if key not in ("egfr", "over", "at"):
            raise InputError(f"{where}.{key}", spec[key], "keys of aki: egfr (the GFR reached), over, at")
    if "egfr" not in spec:
        raise InputError(f"{where}.egfr", None, "the eGFR the injury reaches, e.g. '15 mL/min/1.73m2'")
    egfr = parse(spec["egfr"], f"{where}.egfr", "mL/min", "an eGFR in mL/min/1.73m2")
    if not 0 < egfr < reg.patient.egfr_value:
        raise InputError(
            f"{where}.egfr", spec["egfr"], f"an eGFR above 0 and below the baseline {reg.patient.egfr_value:.0f}"
        )
    at = _time(spec.get("at", "0 h"), f"{where}.at")
    over = _time(spec.get("over", "48 h"), f"{where}.over")
    if over <= 0:
        raise InputError(f"{where}.over", spec.get("over"), "a positive duration")
    reg.changes.append(Change(at, reg.duration, "gfr_target", egfr / reg.patient.egfr_value, "set"))
    reg.changes.append(Change(at, reg.duration, "gfr_tau", over / 3, "set"))  # ~95 % of the fall within `over`


# ------------------------------------------------------------------------------------------------- dosing
def _repeat(at: float, every_text, for_text, where: str, duration: float) -> list[float]:
    if every_text is None:
        if for_text is not None:
            raise InputError(f"{where}.for", for_text, "'for' with 'every' (repeated doses) or with 'rate' (infusion)")
        return [at]
    if for_text is None:
        raise InputError(f"{where}.every", every_text, "'every' together with 'for' (how long the repeats go on)")
    every = _time(every_text, f"{where}.every")
    length = _time(for_text, f"{where}.for")
    if every <= 0 or length <= 0:
        raise InputError(f"{where}.every", every_text, "positive 'every' and 'for'")
    n = int((length - 1e-9) // every) + 1
    if n > MAX_DOSES:
        raise InputError(f"{where}.every", every_text, f"at most {MAX_DOSES} repeated doses")
    return [at + k * every for k in range(n) if at + k * every < duration]


_PER_KG = re.compile(r"^(.*?)\s*/\s*kg\b\s*(/\s*h|/\s*hr|/\s*hour)?\s*$", re.IGNORECASE)


def _product_quantity(text, where: str, product: Product, rate: bool = False, weight_kg: float | None = None) -> float:
    """A dose (mmol of the ion) or infusion rate (mmol/h): g/mg of the salt, or mmol/mEq of the ion; per kg of
    body weight ('50 mg/kg', '0.5 mmol/kg/h') times the patient's weight."""
    per = "/h" if rate else ""
    kind = "rate" if rate else "dose"
    allowed = f"a {kind} of {product.name} in g{per}, or of {product.ion} in mmol{per} or mEq{per} (or per kg)"
    weighed = _PER_KG.match(text) if isinstance(text, str) and weight_kg is not None else None
    if weighed is not None:  # per kg of body weight: the amount for this patient
        if bool(weighed.group(2)) != rate:
            raise InputError(where, text, allowed)
        number, unit = split(f"{weighed.group(1)}{per}", where)
        text = f"{number * weight_kg:.10g} {unit}"
    number, unit = split(text, where)
    if unit.lower().startswith("meq"):
        value = parse(f"{number} mmol{unit[3:]}", where, f"mmol{per}", allowed) / ION_VALENCE[product.ion]
    else:
        try:
            value = parse(text, where, f"mmol{per}", allowed)
        except InputError:
            value = parse(text, where, f"g{per}", allowed) * product.mmol_per_gram()
    limit = product.max_rate_mmol_h if rate else product.max_dose_mmol
    if not 0 < value <= limit:
        raise InputError(
            where, text, f"a {kind} above 0 and at most {limit:g} mmol{per} {product.ion} for {product.name}"
        )
    return value


def _saline(iv: InterventionSpec, where: str, product: Product) -> float:
    """NaCl given as a volume: 'volume: 1 L' with 'concentration: 0.9 %' (default) -> mmol Na."""
    volume = parse(iv.volume, f"{where}.volume", "L", "a volume, e.g. '1 L' or '500 mL'")
    percent = 0.9
    if iv.concentration is not None:
        number, unit = split(iv.concentration, f"{where}.concentration")
        if unit not in ("%", "percent") or not 0 < number <= 23.4:
            raise InputError(
                f"{where}.concentration", iv.concentration, "a NaCl strength from 0 to 23.4 %, e.g. '0.9 %'"
            )
        percent = number
    amount = volume * percent * 10 * product.mmol_per_gram()  # g/L = percent x 10
    if not 0 < amount <= product.max_dose_mmol:
        raise InputError(f"{where}.volume", iv.volume, f"at most {product.max_dose_mmol:g} mmol Na in one infusion")
    return amount


def _give_product(reg: Regimen, iv: InterventionSpec, where: str, product: Product, start: float) -> None:
    route = route_name(iv.route) if iv.route else next(iter(product.routes))
    if route not in product.routes:
        raise InputError(f"{where}.route", iv.route, f"a route {product.name} has: {', '.join(product.routes)}")
    ion = product.ion
    if iv.rate is not None:
        if iv.dose is not None or iv.over is not None or iv.every is not None:
            raise InputError(f"{where}.rate", iv.rate, "'rate' with 'for' only (not with dose, over or every)")
        if route != "iv":
            raise InputError(f"{where}.rate", iv.rate, "a dose for this route (rates are for IV infusions)")
        if iv.for_ is None:
            raise InputError(f"{where}.rate", iv.rate, "'rate' together with 'for' (how long the infusion runs)")
        length = _time(iv.for_, f"{where}.for")
        if length <= 0:
            raise InputError(f"{where}.for", iv.for_, "a positive duration")
        rate = _product_quantity(iv.rate, f"{where}.rate", product, rate=True, weight_kg=reg.patient.weight_kg)
        reg.changes.append(Change(start, min(start + length, reg.duration), f"iv_{ion}", rate, "add:" + product.name))
        return
    if iv.volume is not None:
        if product.name != "NaCl":
            raise InputError(f"{where}.volume", iv.volume, "a 'dose' (volume is for NaCl)")
        amount = _saline(iv, where, product)
    elif iv.dose is None:
        raise InputError(where, iv.give, "either 'dose' (with 'over' for an infusion) or 'rate' with 'for'")
    else:
        amount = _product_quantity(iv.dose, f"{where}.dose", product, weight_kg=reg.patient.weight_kg)
    times = _repeat(start, iv.every, iv.for_, where, reg.duration)
    if route == "oral":
        if iv.over is not None:
            raise InputError(f"{where}.over", iv.over, "no 'over' for an oral dose")
        available = float(product.routes["oral"].get("available", 1.0))
        for t in times:
            reg.jumps += [
                Jump(t, f"{ion}_stomach", amount * available),
                Jump(t, f"{ion}_faeces", amount * (1 - available)),
                Jump(t, f"{ion}_in", -amount, product.name),
            ]
    elif route == "im":
        if iv.over is not None:
            raise InputError(f"{where}.over", iv.over, "no 'over' for an intramuscular injection")
        for t in times:
            reg.jumps += [Jump(t, f"{ion}_im", amount), Jump(t, f"{ion}_in", -amount, product.name)]
    else:
        if iv.over is None:
            raise InputError(f"{where}.over", None, f"'over' (e.g. '20 min') for an {route} dose of {product.name}")
        over = _time(iv.over, f"{where}.over")
        if over <= 0:
            raise InputError(f"{where}.over", iv.over, "a positive duration")
        if amount / over > product.max_bolus_rate_mmol_h:
            limit = product.max_bolus_rate_mmol_h
            raise InputError(f"{where}.over", iv.over, f"a time long enough to keep the rate at most {limit:g} mmol/h")
        for t in times:
            reg.changes.append(
                Change(t, min(t + over, reg.duration), f"iv_{ion}", amount / over, "add:" + product.name)
            )


def _drug_amount(text, where: str, drug: str, spec: dict, kind: str = "dose") -> float:
    unit = spec["unit"]
    per = "/h" if kind == "rate" else ""
    allowed = f"a {kind} of {drug} in {unit}{per}"
    if unit == "U":
        number, u = split(text, where)
        expected = "U/h" if kind == "rate" else "U"
        written = u.replace(" ", "").lower().replace("internationalunits", "u").replace("iu", "u").replace("units", "u")
        if written != expected.lower():
            raise InputError(where, text, allowed + f", e.g. '10 {expected}'")
        value = number
    else:
        value = parse(text, where, unit + per, allowed)
    limit = spec.get("max_rate" if kind == "rate" else "max_dose")
    if limit is None:
        raise InputError(where, text, f"a dose of {drug} ({drug} is not given as a continuous infusion)")
    if not 0 < value <= limit:
        raise InputError(where, text, f"a {kind} above 0 and at most {limit:g} {unit}{'/h' if kind == 'rate' else ''}")
    return value


def use_member(reg: Regimen, name: str, where: str) -> None:
    """Set the class's pharmacokinetic inputs to this member's; a second, different member of a class is refused."""
    from .vocabulary import member_inputs, member_spec

    cls, inputs = member_spec(name)["class"], member_inputs(name)
    other = reg.members.get(cls)
    if other is not None and other != name and member_inputs(other) != inputs:
        raise InputError(
            where, name, f"one drug of a class at a time ({other} is already given; both are {cls.replace('_', ' ')})"
        )
    reg.members.setdefault(cls, name)
    reg.base.update(inputs)


def route_potency(spec: dict, route: str) -> float:
    return float(spec.get("route_potency", {}).get(route, 1.0))


def _give_drug(reg: Regimen, item, where: str, name: str, start: float, med: bool) -> None:
    spec = drugs()[name]
    cls = spec["class"]
    route = route_name(item.route) if item.route else spec["routes"][0]
    if route not in spec["routes"]:
        raise InputError(f"{where}.route", item.route, f"a route {name} has: {', '.join(spec['routes'])}")
    potency = float(spec["potency"]) * route_potency(spec, route)
    use_member(reg, name, where)
    if not med and getattr(item, "rate", None) is not None:
        if route != "iv":
            raise InputError(f"{where}.rate", item.rate, "a dose for this route (rates are for IV infusions)")
        if item.for_ is None:
            raise InputError(f"{where}.rate", item.rate, "'rate' together with 'for'")
        if item.dose is not None or item.every is not None or item.over is not None:
            raise InputError(f"{where}.rate", item.rate, "'rate' with 'for' only (not with dose, over or every)")
        rate = _drug_amount(item.rate, f"{where}.rate", name, spec, "rate")
        length = _time(item.for_, f"{where}.for")
        if length <= 0:
            raise InputError(f"{where}.for", item.for_, "a positive duration")
        reg.changes.append(
            Change(start, min(start + length, reg.duration), f"{cls}_infusion", rate * potency, f"add:drug:{name}")
        )
        return
    if item.dose is None:
        raise InputError(f"{where}.dose", None, f"a dose of {name}, e.g. '{spec.get('usual', '1 ' + spec['unit'])}'")
    amount = _drug_amount(item.dose, f"{where}.dose", name, spec) * potency
    if med:
        every_text, for_text = item.every, item.for_ or f"{reg.duration - start + 1e-6} h"
    else:
        every_text, for_text = item.every, item.for_
    times = _repeat(start, every_text, for_text, where, reg.duration)
    if len(times) > 1:
        every = times[1] - times[0]
        per_day = amount / potency * 24 / every
        if per_day > spec["max_daily"] * (1 + 1e-9):
            raise InputError(
                f"{where}.dose", item.dose, f"at most {spec['max_daily']:g} {spec['unit']} of {name} a day"
            )
    state = f"{cls}_central" if route == "iv" else f"{cls}_depot"
    for t in times:
        reg.jumps.append(Jump(t, state, amount, f"drug:{name}"))


def _medication(med: MedicationSpec, here: str) -> tuple[str, dict]:
    """The medication's canonical name and drug-table entry; an unknown (or dose-only) drug is refused with a
    suggestion."""
    from .vocabulary import resolve

    _, name = resolve(med.drug, f"{here}.drug", kinds=("drug",), medication=True)
    return name, drugs()[name]


def _medications(reg: Regimen, meds: list[MedicationSpec], where: str) -> None:
    for i, med in enumerate(meds):
        here = f"{where}[{i}]"
        name, _ = _medication(med, here)
        start = _time(med.at, f"{here}.at")
        _give_drug(reg, med, here, name, start, med=True)


# -------------------------------------------------------------------------------------------------- events
def _event(reg: Regimen, iv: InterventionSpec, where: str, start: float, sessions: list) -> None:
    kind = iv.event.lower()
    if kind == "tissue_breakdown":
        if iv.muscle is None or iv.over is None:
            raise InputError(where, kind, "'muscle' (e.g. '1 kg') and 'over' (e.g. '12 h') for tissue_breakdown")
        kg = parse(iv.muscle, f"{where}.muscle", "kg", "a mass of muscle, e.g. '1 kg'")
        if not 0 < kg <= 0.5 * reg.patient.weight_kg * 0.4:
            raise InputError(
                f"{where}.muscle", iv.muscle, "above 0 and at most half the patient's muscle (~20 % of weight)"
            )
        over = _time(iv.over, f"{where}.over")
        if over <= 0:
            raise InputError(f"{where}.over", iv.over, "a positive duration")
        reg.changes.append(Change(start, min(start + over, reg.duration), "lysis_muscle", kg / over, "add"))
    elif kind in ("hemodialysis", "crrt", "peritoneal_dialysis"):
        add_dialysis(reg, iv, where, start, sessions)
    elif kind == "meal":
        # a meal's carbohydrate releases endogenous insulin, which drives K into cells (its ions are in the diet)
        if iv.dose is None:
            raise InputError(f"{where}.dose", None, "the meal's carbohydrate, e.g. '75 g'")
        grams = parse(iv.dose, f"{where}.dose", "g", "the meal's carbohydrate in g, e.g. '75 g'")
        if not 0 < grams <= 300:
            raise InputError(f"{where}.dose", iv.dose, "0 to 300 g of carbohydrate")
        use_member(reg, "meal", where)
        reg.jumps.append(Jump(start, "insulin_depot", grams * meal_insulin_per_gram()))
    elif kind == "diet":
        if iv.diet is None:
            raise InputError(f"{where}.diet", None, "the new diet, e.g. {K: 40 mmol/day}")
        rates = diet_rates(iv.diet, f"{where}.diet", previous={ion: reg.base[f"diet_{ion}"] for ion in IONS})
        for ion, rate in rates.items():
            reg.changes.append(Change(start, reg.duration, f"diet_{ion}", rate, "set"))
    elif kind == "stop":
        if iv.give is None:
            raise InputError(f"{where}.give", None, "the product or drug that stops, e.g. MgSO4 or omeprazole")
        from .vocabulary import resolve

        kind, name = resolve(iv.give, f"{where}.give")
        if kind == "drug":
            # a drug stops: its later doses are dropped and its infusions end (the body clears what was given)
            tag = f"drug:{name}"
            kept = [j for j in reg.jumps if not (j.tag == tag and j.t >= start)]
            later = len(reg.jumps) - len(kept)
            reg.jumps = kept
            running = [k for k, ch in enumerate(reg.changes) if ch.mode == f"add:{tag}" and ch.t0 <= start < ch.t1]
            for k in running:
                ch = reg.changes[k]
                reg.changes[k] = Change(ch.t0, start, ch.input, ch.value, ch.mode)
            if not later and not running:
                raise InputError(
                    f"{where}.give", iv.give, f"a drug given after {iv.at} (no {iv.give} dose is due then)"
                )
            return
        stopped = False
        for k, ch in enumerate(reg.changes):
            if ch.mode == f"add:{products()[name].name}" and ch.t0 <= start < ch.t1:
                reg.changes[k] = Change(ch.t0, start, ch.input, ch.value, ch.mode)
                stopped = True
        if not stopped:
            raise InputError(f"{where}.give", iv.give, f"an infusion running at {iv.at} (no {iv.give} infusion is)")
    else:
        allowed = ("tissue_breakdown", "hemodialysis", "crrt", "peritoneal_dialysis", "diet", "meal", "stop")
        raise InputError(f"{where}.event", iv.event, f"one of {', '.join(allowed)}" + _closest(kind, allowed))


def _interventions(reg: Regimen, items: list[InterventionSpec], where: str, sessions: list) -> None:
    from .vocabulary import resolve

    catalogue = products()
    for i, iv in enumerate(items):
        here = f"{where}[{i}]"
        start = _time(iv.at, f"{here}.at")
        if not 0 <= start <= reg.duration:
            raise InputError(f"{here}.at", iv.at, "a time from 0 to the scenario's duration")
        if iv.event is not None:
            _event(reg, iv, here, start, sessions)
            continue
        if iv.give is None:
            raise InputError(here, None, "'give' (a product or drug) or 'event'")
        kind, name = resolve(iv.give, f"{here}.give")
        if kind == "product":
            _give_product(reg, iv, here, catalogue[name], start)
        else:
            _give_drug(reg, iv, here, name, start, med=False)


def _check_daily_totals(reg: Regimen) -> None:
    """No product may deliver more than its plausible daily maximum in any 24 h window."""
    for product in products().values():
        doses = [(j.t, -j.amount) for j in reg.jumps if j.tag == product.name]
        infusions = [c for c in reg.changes if c.mode == f"add:{product.name}"]
        for t0 in [t for t, _ in doses] + [c.t0 for c in infusions]:
            total = sum(a for t, a in doses if t0 <= t < t0 + 24)
            total += sum(c.value * max(0.0, min(c.t1, t0 + 24) - max(c.t0, t0)) for c in infusions)
            if total > product.max_daily_mmol * (1 + 1e-9):
                raise InputError(
                    "interventions",
                    product.name,
                    f"at most {product.max_daily_mmol:g} mmol {product.ion} of {product.name} in any 24 h "
                    f"({total:.0f} mmol from t = {t0:g} h)",
                )


def compile_regimen(scenario: Scenario, arm: str | None = None, duration_text: str | None = None) -> Regimen:
    """The regimen of the main run (or of one arm: its interventions and medications follow the shared ones)."""
    text = duration_text or scenario.duration
    duration = _time(text, "duration" if duration_text is None else "history.duration")
    longest, words = (MAX_DURATION_H, "5 years") if duration_text is None else (MAX_HISTORY_H, "20 years")
    if not 0 < duration <= longest:
        raise InputError(
            "duration" if duration_text is None else "history.duration", text, f"a duration above 0 and at most {words}"
        )
    reg = Regimen(scenario.name if arm is None else f"{scenario.name} [{arm}]", _patient(scenario), duration)
    for ion, rate in diet_rates(scenario.diet, "diet").items():
        reg.base[f"diet_{ion}"] = rate
    _apply_conditions(reg, scenario.patient.conditions, "patient.conditions")
    sessions: list = []
    _medications(reg, scenario.medications, "medications")
    _interventions(reg, scenario.interventions, "interventions", sessions)
    if scenario.history is not None and not standing_in(scenario.interventions):
        chronic_from_history(reg, scenario.history.interventions, "history.interventions")
    if reg.patient.egfr_value == 0 and not (
        standing_in(scenario.interventions)
        or (scenario.history is not None and standing_in(scenario.history.interventions))
    ):
        raise InputError(
            "patient.egfr",
            "0 mL/min/1.73m2",
            "an eGFR above 0, or for an anuric patient (no chronic state without dialysis) a standing dialysis "
            "prescription in interventions or history, e.g. {event: hemodialysis, at: 8 h, for: 4 h, days: [Mon, Wed, "
            "Fri]} or {event: peritoneal_dialysis, at: 0 h, exchanges: 4, dwell: 4 h, fill: 2 L}",
        )
    if arm is not None:
        spec = scenario.arms[arm]
        _medications(reg, spec.medications, f"arms.{arm}.medications")
        _interventions(reg, spec.interventions, f"arms.{arm}.interventions", sessions)
    _check_daily_totals(reg)
    return reg


HISTORY_DOSES_H = 21 * 24.0  # the last three weeks of a history run the real doses


def compile_history(scenario: Scenario, doses_for: float = HISTORY_DOSES_H) -> Regimen:
    """The regimen run before t = 0: the patient, the history's diet, conditions and medications.

    Over a history (months to years) each medication is taken as its dose-averaged steady rate into the gut depot
    (modelling choice: the chronic state, not each dose's peak, is what a history is for; it also keeps a two-year
    history to one integration instead of hundreds of dose discontinuities) - except over its last ``doses_for``
    hours (three weeks), where the real doses are given, timed so that the next one falls at t = 0 (or at the
    medication's ``at``, modulo its interval). The history then ends in the regimen's periodic steady state, so that
    the same doses continued from t = 0 hold the patient where they are, and an arm with nothing added stays flat.
    """
    history = scenario.history
    reg = compile_regimen(
        Scenario(
            name=f"{scenario.name} (history)",
            patient=scenario.patient,
            diet=history.diet or scenario.diet,
            interventions=history.interventions,
            duration=history.duration,
        ),
        duration_text=history.duration,
    )
    # a condition the patient already has is the same condition during the history, not a second dose of it
    has = {_condition_name(c) for c in scenario.patient.conditions}
    extra = [c for c in history.conditions if _condition_name(c) not in has]
    _apply_conditions(reg, extra, "history.conditions")
    for i, med in enumerate(history.medications):
        here = f"history.medications[{i}]"
        use_member(reg, _medication(med, here)[0], here)
    tail_start = max(0.0, reg.duration - doses_for)
    if tail_start > 0:
        for name, rate in medication_rates(history.medications, "history.medications").items():
            reg.changes.append(Change(0.0, tail_start, name, rate, "add"))
    # a drug the regimen goes on with keeps the regimen's dosing times
    going_on = {_medication(med, "medications")[0]: med.at for med in scenario.medications}
    reg.jumps += medication_doses(history.medications, "history.medications", tail_start, reg.duration, going_on)
    return reg


def medication_doses(
    meds: list[MedicationSpec], where: str, t0: float, t1: float, times: dict[str, str] | None = None
) -> list[Jump]:
    """Ongoing oral medications as their real doses on [t0, t1), timed as if they had always been taken and went on
    after t1: a dose falls at t1 + (at modulo every), so the last one before t1 is one interval earlier. ``times``
    gives the ``at`` to time a drug by instead of its own (the regimen's, for a history)."""
    out: list[Jump] = []
    medication_rates(meds, where)  # checks dose, interval, route and daily maximum
    for i, med in enumerate(meds):
        here = f"{where}[{i}]"
        name, spec = _medication(med, here)
        amount = _drug_amount(med.dose, f"{here}.dose", name, spec) * float(spec["potency"])
        every = _time(med.every, f"{here}.every")
        at = (times or {}).get(name, med.at)
        phase = _time(at, f"{here}.at") % every
        k = math.ceil((t1 + phase - t0) / every - 1e-9)
        for j in range(k, 0, -1):
            t = t1 + phase - j * every
            if t0 - 1e-9 <= t < t1 - 1e-9:
                out.append(Jump(max(t, t0), f"{spec['class']}_depot", amount))
    return out


def medication_rates(meds: list[MedicationSpec], where: str) -> dict[str, float]:
    """Ongoing oral medications as dose-averaged rates into their gut depots ({'<class>_oral': amount/h}) - for
    chronic states (histories, and the steady state of a patient whose labs were drawn on the medications)."""
    out: dict[str, float] = {}
    for i, med in enumerate(meds):
        here = f"{where}[{i}]"
        name, spec = _medication(med, here)
        # a standing medication is absorbed from a depot at the member's ka and F: by mouth, or under the skin for the
        # heparins (their PK in drugs.yaml is the subcutaneous one); an IV drug is given as a dose or an infusion
        depot_routes = [r for r in spec["routes"] if r != "iv"] or ["oral"]
        if med.route is not None and route_name(med.route) not in depot_routes:
            raise InputError(
                f"{here}.route",
                med.route,
                f"{' or '.join(depot_routes)} (a standing medication; give IV {name} as an intervention)",
            )
        dose = _drug_amount(med.dose, f"{here}.dose", name, spec)
        every = _time(med.every, f"{here}.every")
        if every <= 0:
            raise InputError(f"{here}.every", med.every, "a positive interval")
        if dose * 24 / every > spec["max_daily"] * (1 + 1e-9):
            raise InputError(f"{here}.dose", med.dose, f"at most {spec['max_daily']:g} {spec['unit']} of {name} a day")
        key = f"{spec['class']}_oral"
        out[key] = out.get(key, 0.0) + dose * float(spec["potency"]) / every
    return out

"""Turn a Scenario into numbers the engine takes: the patient, constant diet rates, and dosing events.

Doses become either infusions (a rate over an interval, into the ECF) or oral boluses (an amount into the stomach;
the part of a poorly soluble salt that does not dissolve passes to stool).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from ..patient import Patient
from ..units import parse, split
from .products import ION_MOLAR_MASS, ION_VALENCE, Product, products
from .schema import ALLOWED_CONDITIONS, MAX_DURATION_H, Scenario

# chronic intakes a living adult can be in steady state on (mmol/day): the diet also sets the initial steady state
DIET_LIMITS = {"K": (10.0, 400.0), "Mg": (1.0, 80.0), "Na": (10.0, 600.0), "Ca": (10.0, 75.0)}
MAX_DOSES = 20000


@dataclass(frozen=True)
class Infusion:
    ion: str
    start: float
    end: float
    rate: float  # mmol/h of the ion
    product: str


@dataclass(frozen=True)
class OralDose:
    ion: str
    time: float
    available: float  # mmol reaching the absorbable lumen
    unavailable: float  # mmol passing to stool undissolved
    product: str


@dataclass
class Regimen:
    name: str
    patient: Patient
    diet: dict[str, float]  # mmol/h
    duration: float  # h
    infusions: list[Infusion] = field(default_factory=list)
    oral: list[OralDose] = field(default_factory=list)


def _time(text, field_name: str) -> float:
    return parse(text, field_name, "h", "a time, e.g. '20 min', '2 h' or '3 d'")


def _closest(name: str, options) -> str:
    import difflib

    match = difflib.get_close_matches(name.lower(), list(options), n=1, cutoff=0.5)
    return f" (did you mean {products()[match[0]].name}?)" if match else ""


def _amount(text, field_name: str, product: Product) -> float:
    """Dose as mmol of the product's ion: '4 g' of the salt, '40 mmol' or '40 mEq' of the ion."""
    number, unit = split(text, field_name)
    allowed = f"an amount of {product.name} in g/mg, or of {product.ion} in mmol/mEq"
    if unit.lower() == "meq":
        value = number / ION_VALENCE[product.ion]
    else:
        try:
            value = parse(text, field_name, "mmol", allowed)
        except InputError:
            value = parse(text, field_name, "g", allowed) * product.mmol_per_gram()
    if not 0 < value <= product.max_dose_mmol:
        limit = product.max_dose_mmol
        raise InputError(
            field_name, text, f"a dose above 0 and at most {limit:g} mmol {product.ion} for {product.name}"
        )
    return value


def _rate(text, field_name: str, product: Product) -> float:
    number, unit = split(text, field_name)
    allowed = f"a rate of {product.name} in g/h, or of {product.ion} in mmol/h or mEq/h"
    if unit.lower().startswith("meq/"):
        value = (
            parse(f"{number} mmol/{unit.split('/', 1)[1]}", field_name, "mmol/h", allowed) / ION_VALENCE[product.ion]
        )
    else:
        try:
            value = parse(text, field_name, "mmol/h", allowed)
        except InputError:
            value = parse(text, field_name, "g/h", allowed) * product.mmol_per_gram()
    if not 0 < value <= product.max_rate_mmol_h:
        limit = product.max_rate_mmol_h
        raise InputError(
            field_name, text, f"a rate above 0 and at most {limit:g} mmol/h {product.ion} for {product.name}"
        )
    return value


def _diet(scenario: Scenario) -> dict[str, float]:
    out = {}
    for ion in ("K", "Mg", "Na", "Ca"):
        text = getattr(scenario.diet, ion)
        field_name = f"diet.{ion}"
        low, high = DIET_LIMITS[ion]
        allowed = f"an intake of {ion} per day, e.g. '80 mmol/day' or '300 mg/day', from {low:g} to {high:g} mmol/day"
        number, unit = split(text, field_name)
        if unit.lower().startswith("meq/"):
            per_day = (
                parse(f"{number} mmol/{unit.split('/', 1)[1]}", field_name, "mmol/day", allowed) / ION_VALENCE[ion]
            )
        else:
            try:
                per_day = parse(text, field_name, "mmol/day", allowed)
            except InputError:
                per_day = parse(text, field_name, "mg/day", allowed) / ION_MOLAR_MASS[ion]
        if not low <= per_day <= high:
            raise InputError(field_name, text, allowed)
        out[ion] = per_day / 24.0
    return out


def _patient(scenario: Scenario) -> Patient:
    spec = scenario.patient
    for i, cond in enumerate(spec.conditions):
        if cond.lower() not in ALLOWED_CONDITIONS:
            raise InputError(f"patient.conditions[{i}]", cond, f"one of: {', '.join(ALLOWED_CONDITIONS)}")
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
    return Patient(
        weight_kg=parse(spec.weight, "patient.weight", "kg", "a body weight, e.g. '70 kg'"),
        sex=spec.sex.lower(),
        age_y=parse(spec.age, "patient.age", "year", "an age, e.g. '40 y'"),
        egfr=egfr,
        creatinine_mg_dl=creatinine,
        conditions=tuple(c.lower() for c in spec.conditions),
    )


def compile_regimen(scenario: Scenario) -> Regimen:
    duration = _time(scenario.duration, "duration")
    if not 0 < duration <= MAX_DURATION_H:
        raise InputError("duration", scenario.duration, "a duration above 0 and at most 5 years")
    reg = Regimen(scenario.name, _patient(scenario), _diet(scenario), duration)
    catalogue = products()
    for i, iv in enumerate(scenario.interventions):
        where = f"interventions[{i}]"
        product = catalogue.get(iv.give.lower())
        if product is None:
            raise InputError(
                f"{where}.give",
                iv.give,
                f"one of {', '.join(p.name for p in catalogue.values())}" + _closest(iv.give, catalogue),
            )
        route = (iv.route or next(iter(product.routes))).lower()
        if route not in product.routes:
            raise InputError(f"{where}.route", iv.route, f"a route {product.name} has: {', '.join(product.routes)}")
        start = _time(iv.at, f"{where}.at")
        if not 0 <= start <= duration:
            raise InputError(f"{where}.at", iv.at, f"a time from 0 to the scenario's duration ({scenario.duration})")
        if iv.every is not None and iv.for_ is None:
            raise InputError(f"{where}.every", iv.every, "'every' together with 'for' (how long the repeats go on)")
        if iv.rate is not None:
            if iv.dose is not None or iv.over is not None or iv.every is not None:
                raise InputError(f"{where}.rate", iv.rate, "'rate' with 'for' only (not with dose, over or every)")
            if route == "oral":
                raise InputError(f"{where}.rate", iv.rate, "a dose for the oral route (rates are for infusions)")
            if iv.for_ is None:
                raise InputError(f"{where}.rate", iv.rate, "'rate' together with 'for' (how long the infusion runs)")
            length = _time(iv.for_, f"{where}.for")
            if length <= 0:
                raise InputError(f"{where}.for", iv.for_, "a positive duration")
            rate = _rate(iv.rate, f"{where}.rate", product)
            reg.infusions.append(Infusion(product.ion, start, min(start + length, duration), rate, product.name))
            continue
        if iv.dose is None:
            raise InputError(where, iv.give, "either 'dose' (with 'over' for an infusion) or 'rate' with 'for'")
        amount = _amount(iv.dose, f"{where}.dose", product)
        times = [start]
        if iv.every is not None:
            every = _time(iv.every, f"{where}.every")
            length = _time(iv.for_, f"{where}.for")
            if every <= 0 or length <= 0:
                raise InputError(f"{where}.every", iv.every, "positive 'every' and 'for'")
            n = int((length - 1e-9) // every) + 1
            if n > MAX_DOSES:
                raise InputError(f"{where}.every", iv.every, f"at most {MAX_DOSES} repeated doses")
            times = [start + k * every for k in range(n) if start + k * every < duration]
        elif iv.for_ is not None:
            raise InputError(f"{where}.for", iv.for_, "'for' with 'every' (repeated doses) or with 'rate' (infusion)")
        if route == "oral":
            if iv.over is not None:
                raise InputError(f"{where}.over", iv.over, "no 'over' for an oral dose")
            available = float(product.routes["oral"].get("available", 1.0))
            for t in times:
                reg.oral.append(OralDose(product.ion, t, amount * available, amount * (1 - available), product.name))
        else:
            if iv.over is None:
                raise InputError(f"{where}.over", None, f"'over' (e.g. '20 min') for a {route} dose of {product.name}")
            over = _time(iv.over, f"{where}.over")
            if over <= 0:
                raise InputError(f"{where}.over", iv.over, "a positive duration")
            rate = amount / over
            if rate > product.max_bolus_rate_mmol_h:
                limit = product.max_bolus_rate_mmol_h
                raise InputError(
                    f"{where}.over", iv.over, f"a time long enough to keep the rate at most {limit:g} mmol/h"
                )
            for t in times:
                reg.infusions.append(Infusion(product.ion, t, min(t + over, duration), rate, product.name))
    _check_daily_totals(reg, scenario)
    return reg


def _check_daily_totals(reg: Regimen, scenario: Scenario) -> None:
    """No product may deliver more than its plausible daily maximum in any 24 h window."""
    for key, product in products().items():
        oral = [(d.time, d.available + d.unavailable) for d in reg.oral if d.product.lower() == key]
        infusions = [i for i in reg.infusions if i.product.lower() == key]
        for t0 in [t for t, _ in oral] + [i.start for i in infusions]:
            total = sum(a for t, a in oral if t0 <= t < t0 + 24)
            total += sum(i.rate * max(0.0, min(i.end, t0 + 24) - max(i.start, t0)) for i in infusions)
            if total > product.max_daily_mmol * (1 + 1e-9):
                index = next(k for k, iv in enumerate(scenario.interventions) if iv.give.lower() == key)
                raise InputError(
                    f"interventions[{index}]",
                    product.name,
                    f"at most {product.max_daily_mmol:g} mmol {product.ion} of {product.name} in any 24 h "
                    f"({total:.0f} mmol from t = {t0:g} h)",
                )

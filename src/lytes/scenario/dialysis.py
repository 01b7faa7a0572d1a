"""Dialysis as clinicians prescribe it: haemodialysis sessions on weekdays or at an interval, CRRT, and peritoneal
dialysis - compiled into the dialysis inputs of the model (``model/mechanisms/dialysis.py``).

- ``{event: hemodialysis, at: 8 h, for: 4 h, days: [Mon, Wed, Fri]}``: a standing weekly prescription; ``at`` is the
  clock time of each session, t = 0 is midnight of ``start_day`` (Monday unless stated), and sessions run to the end
  of the scenario (or ``until`` / ``times``). A standing prescription has been running before t = 0, so its time
  average enters the patient's chronic state (modelling choice; give a history of a few weeks on the same schedule
  to start in its periodic state).
- ``{event: hemodialysis, at: 2 h, for: 4 h, every: 48 h, times: 3}`` (or ``until: 6 d``): an acute course from
  ``at``; ``every`` without ``times`` or ``until`` is refused (``for`` is the session's length).
- ``{event: crrt, at: 0 h, for: 3 d, effluent: 2 L/h, fluid: {...}}``: continuous therapy.
- ``{event: peritoneal_dialysis, at: 0 h, for: 14 d, exchanges: 4, dwell: 4 h, fill: 2 L, fluid: {...}}``: the
  exchanges of a day as their continuous equivalent; from t = 0 it is a standing prescription like a weekly schedule.

Every modality also ultrafilters the ECF gained above dry weight (the patient's reference ECF volume).

References
----------
Daugirdas JT, Blake PG, Ing TS. Handbook of Dialysis, 5th ed. (K dialysance ~0.7 x blood flow; dialysate K 1-4, Mg
0.25-0.75 mmol/L; PD fluid K 0). Twardowski ZJ et al. Perit Dial Bull 1987;7:138 (D/P K ~0.6-0.7 at 4 h).
Heguilen RM et al. Nephrol Dial Transplant 2005;20:591 (dialysate bicarbonate: faster early K fall, same end).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..errors import InputError
from ..units import parse
from .schema import InterventionSpec

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HD_DIALYSANCE_PER_BLOOD_FLOW = 0.55  # K dialysance from plasma water: erythrocyte K does not exchange in the dialyser
# (plasma-water flow ~0.63 x blood flow at Hct 0.32, extraction ~0.85-0.9): ~165 mL/min at 300 mL/min (modelling
# choice from Daugirdas' Handbook; dialysate K collection matches plasma K clearance within a few %)
HD_DIALYSATE = {"K": "2 mmol/L", "Mg": "0.5 mmol/L", "Ca": "1.25 mmol/L", "Na": "140 mmol/L"}
CRRT_FLUID = {"K": "4 mmol/L", "Mg": "0.75 mmol/L", "Ca": "1.5 mmol/L", "Na": "140 mmol/L"}
PD_FLUID = {"K": "0 mmol/L", "Mg": "0.25 mmol/L", "Ca": "1.25 mmol/L", "Na": "132 mmol/L"}
# dwell time constant of small-solute equilibration: D/P K = 1 - exp(-dwell / tau) = 0.65 at 4 h (Twardowski 1987)
PD_EQUILIBRATION_H = 4.0 / math.log(1 / 0.35)
# ultrafiltration rate constant (1/h) towards dry weight: a 4-h session takes off ~95 % of the interdialytic gain
# (modelling choice); CRRT and PD ultrafilter continuously and more gently
ULTRAFILTRATION = {"hemodialysis": 0.75, "crrt": 0.3, "peritoneal_dialysis": 0.3}
NOTED_ONLY = {
    "bicarbonate": "dialysate bicarbonate is noted, not modelled (acid-base is not modelled): a higher bicarbonate "
    "speeds the early intradialytic K fall but ends at the same K (Heguilen 2005), a shift lytes has no size for",
    "citrate": "citrate anticoagulation chelates ionized Ca, which falls unless Ca is infused; citrate is not modelled",
    "phosphate": "phosphate in the replacement fluid prevents the hypophosphataemia of prolonged CRRT; phosphate is "
    "not modelled",
    "glucose": "dialysate glucose is noted, not modelled (the insulin it releases would move K into cells)",
}
INPUTS = ("dialysis_clearance", "ultrafiltration_rate_constant", "dialysate_K", "dialysate_Mg", "dialysate_Ca",
          "dialysate_Na")  # fmt: skip


@dataclass
class Prescription:
    """One dialysis prescription: its sessions, the inputs in force during them, and whether it is standing."""

    kind: str
    sessions: list[tuple[float, float]]
    clearance: float  # L/h
    fluid: dict[str, float]  # mmol/L
    ultrafiltration: float  # 1/h
    standing: bool = False
    week_share: float = 0.0  # share of the time the prescription runs (its time average, for the chronic state)
    notes: list[str] = field(default_factory=list)


def _time(text, where: str) -> float:
    return parse(text, where, "h", "a time, e.g. '20 min', '4 h' or '3 d'")


def _fluid(given: dict | None, defaults: dict[str, str], where: str, notes: list[str], lows=None) -> dict[str, float]:
    from .regimen import _per_ion  # mmol/L, mEq/L or mg/dL of the element, as labs are written

    given = given or {}
    out = {}
    for key in given:
        if key not in defaults and key not in NOTED_ONLY:
            allowed = ", ".join(list(defaults) + [k for k in NOTED_ONLY if k != "glucose"])
            raise InputError(f"{where}.{key}", given[key], f"concentrations of {allowed}")
        if key in NOTED_ONLY:
            parse(given[key], f"{where}.{key}", "mmol/L", "a concentration in mmol/L")
            notes.append(f"{where}.{key}: {NOTED_ONLY[key]}")
    for ion, text in defaults.items():
        value = _per_ion(
            given.get(ion, text), f"{where}.{ion}", ion, "mmol/L", "a concentration in mmol/L, mEq/L or mg/dL"
        )
        low, high = (lows or {}).get(ion, (0.0, 200.0))
        if not low <= value <= high:
            raise InputError(f"{where}.{ion}", given.get(ion), f"a concentration from {low:g} to {high:g} mmol/L")
        out[ion] = value
    return out


def _unused(iv: InterventionSpec, where: str, kind: str, keys: tuple[str, ...]) -> None:
    for key in keys:
        value = getattr(iv, key)
        if value is not None:
            name = key.rstrip("_")
            raise InputError(f"{where}.{name}", value, f"no '{name}' for {kind}")


def _session_starts(iv: InterventionSpec, where: str, start: float, length: float, duration: float) -> list[float]:
    """Start times of the haemodialysis sessions: one, every interval, or on weekdays."""
    if iv.times is not None and iv.until is not None:
        raise InputError(f"{where}.times", iv.times, "either 'times' or 'until' (not both)")
    if iv.times is not None and (isinstance(iv.times, bool) or not isinstance(iv.times, int) or iv.times < 1):
        raise InputError(f"{where}.times", iv.times, "a whole number of sessions, at least 1")
    until = _time(iv.until, f"{where}.until") if iv.until is not None else None
    if until is not None and until < start:
        raise InputError(f"{where}.until", iv.until, f"a time at or after the first session ({iv.at})")
    if iv.days is not None:
        if iv.every is not None:
            raise InputError(f"{where}.every", iv.every, "either 'days' (weekdays) or 'every' (an interval), not both")
        if not iv.days:
            raise InputError(f"{where}.days", iv.days, f"weekdays, e.g. [Mon, Wed, Fri] (from {', '.join(WEEKDAYS)})")
        index = [WEEKDAYS.index(_day(day, f"{where}.days", "weekdays")) for day in iv.days]
        if len(set(index)) != len(index):
            raise InputError(f"{where}.days", iv.days, "each weekday once")
        if start >= 24:
            raise InputError(f"{where}.at", iv.at, "the clock time of each session with 'days', from 0 to 24 h")
        first = WEEKDAYS.index(_weekday(iv.start_day, where))
        offsets = sorted(24 * ((d - first) % 7) + start for d in index)
        gaps = [b - a for a, b in zip(offsets, offsets[1:] + [offsets[0] + 168])]
        if min(gaps) < length:
            raise InputError(f"{where}.for", iv.for_, "sessions shorter than the time between them")
        times = [w * 168 + o for w in range(int(duration // 168) + 1) for o in offsets]
    elif iv.every is not None:
        if iv.start_day is not None:
            raise InputError(f"{where}.start_day", iv.start_day, "'start_day' with 'days' (a weekly schedule)")
        if iv.times is None and until is None:
            raise InputError(
                f"{where}.every",
                iv.every,
                "'every' with 'times' (how many sessions) or 'until' (the last start); 'for' is each session's length",
            )
        every = _time(iv.every, f"{where}.every")
        if every < length:
            raise InputError(f"{where}.every", iv.every, f"an interval at least the session's length ({iv.for_})")
        n = iv.times if iv.times is not None else int((until - start) // every + 1e-9) + 1
        if n > 2000:
            raise InputError(f"{where}.every", iv.every, "at most 2000 sessions")
        times = [start + k * every for k in range(n)]
    else:
        for key in ("times", "until", "start_day"):
            if getattr(iv, key) is not None:
                raise InputError(
                    f"{where}.{key}", getattr(iv, key), f"'{key}' with 'every' or 'days' (repeated sessions)"
                )
        return [start]
    times = [t for t in times if until is None or t <= until + 1e-9]
    if iv.times is not None:
        times = times[: iv.times]
    return [t for t in times if t < duration]


DAY_NAMES = {name.lower(): short for short, name in zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday",
             "Friday", "Saturday", "Sunday"))} | {short.lower(): short for short in WEEKDAYS}  # fmt: skip


def _day(text, where: str, what: str) -> str:
    name = DAY_NAMES.get(str(text).strip().lower())
    if name is None:
        raise InputError(where, text, f"{what} from {', '.join(WEEKDAYS)}")
    return name


def _weekday(text, where: str) -> str:
    return "Mon" if text is None else _day(text, f"{where}.start_day", "the weekday of t = 0, one")


def prescribe(iv: InterventionSpec, where: str, start: float, duration: float, weight_kg: float = 70.0) -> Prescription:
    """The prescription an event describes (checked; times in h from t = 0)."""
    kind = iv.event.lower()
    notes: list[str] = []
    if kind == "peritoneal_dialysis":
        return _peritoneal(iv, where, start, duration, notes)
    if iv.for_ is None:
        raise InputError(
            where, kind, f"'for' (how long the {kind} runs{', each session' if kind == 'hemodialysis' else ''})"
        )
    length = _time(iv.for_, f"{where}.for")
    if length <= 0:
        raise InputError(f"{where}.for", iv.for_, "a positive duration")
    _unused(iv, where, kind, ("exchanges", "dwell", "fill"))
    if kind == "hemodialysis":
        _unused(iv, where, kind, ("effluent", "fluid"))
        if length > 24:
            raise InputError(f"{where}.for", iv.for_, "a session of at most 24 h (continuous therapy is crrt)")
        flow = parse(iv.blood_flow or "300 mL/min", f"{where}.blood_flow", "L/h", "a blood flow, e.g. '300 mL/min'")
        if not 3 <= flow <= 36:
            raise InputError(f"{where}.blood_flow", iv.blood_flow, "a blood flow from 50 to 600 mL/min")
        fluid = _fluid(iv.dialysate, HD_DIALYSATE, f"{where}.dialysate", notes, {"K": (0, 5), "Mg": (0, 2)})
        starts = _session_starts(iv, where, start, length, duration)
        if not starts:
            raise InputError(f"{where}.at", iv.at, "a first session before the end of the scenario")
        sessions = [(t, min(t + length, duration)) for t in starts]
        standing = iv.days is not None
        share = len(iv.days) * length / 168 if standing else 0.0
        clearance = HD_DIALYSANCE_PER_BLOOD_FLOW * flow
        return Prescription(kind, sessions, clearance, fluid, ULTRAFILTRATION[kind], standing, share, notes)
    # crrt
    _unused(iv, where, kind, ("days", "every", "times", "until", "start_day", "dialysate", "blood_flow"))
    effluent = iv.effluent or "2 L/h"
    if isinstance(effluent, str) and re.search(r"/\s*kg\s*/\s*h", effluent):  # the prescribed dose, e.g. 25 mL/kg/h
        per_kg = parse(effluent.replace("/kg", ""), f"{where}.effluent", "L/h", "an effluent dose, e.g. '25 mL/kg/h'")
        clearance = per_kg * weight_kg
    else:
        clearance = parse(effluent, f"{where}.effluent", "L/h", "an effluent rate, e.g. '2 L/h' or '25 mL/kg/h'")
    if not 0.2 <= clearance <= 10:
        raise InputError(f"{where}.effluent", iv.effluent, "an effluent rate from 0.2 to 10 L/h")
    fluid = _fluid(iv.fluid, CRRT_FLUID, f"{where}.fluid", notes, {"K": (0, 5), "Mg": (0, 2)})
    return Prescription(kind, [(start, min(start + length, duration))], clearance, fluid, ULTRAFILTRATION[kind],
                        notes=notes)  # fmt: skip


def _peritoneal(iv: InterventionSpec, where: str, start: float, duration: float, notes: list[str]) -> Prescription:
    kind = "peritoneal_dialysis"
    _unused(iv, where, kind, ("days", "every", "times", "until", "start_day", "dialysate", "blood_flow", "effluent"))
    length = _time(iv.for_, f"{where}.for") if iv.for_ is not None else duration - start
    if length <= 0:
        raise InputError(f"{where}.for", iv.for_, "a positive duration")
    exchanges = iv.exchanges if iv.exchanges is not None else 4
    if isinstance(exchanges, bool) or not isinstance(exchanges, int) or not 1 <= exchanges <= 12:
        raise InputError(f"{where}.exchanges", iv.exchanges, "a whole number of exchanges a day, 1 to 12")
    dwell = _time(iv.dwell or "4 h", f"{where}.dwell")
    if not 0.5 <= dwell <= 16 or exchanges * dwell > 24 + 1e-9:
        raise InputError(
            f"{where}.dwell",
            iv.dwell,
            f"a dwell from 30 min to 16 h whose {exchanges} exchanges fit in 24 h (at most {24 / exchanges:g} h each)",
        )
    fill = parse(iv.fill or "2 L", f"{where}.fill", "L", "a fill volume, e.g. '2 L'")
    if not 0.5 <= fill <= 3.5:
        raise InputError(f"{where}.fill", iv.fill, "a fill volume from 0.5 to 3.5 L")
    fluid = _fluid(iv.fluid, PD_FLUID, f"{where}.fluid", notes, {"K": (0, 5), "Mg": (0.25, 0.75)})
    # each exchange drains fill x (1 - exp(-dwell/tau)) of plasma-equivalent solute: the day's continuous equivalent
    clearance = exchanges * fill * (1 - math.exp(-dwell / PD_EQUILIBRATION_H)) / 24.0
    standing = start == 0
    return Prescription(kind, [(start, min(start + length, duration))], clearance, fluid, ULTRAFILTRATION[kind],
                        standing, 1.0 if standing else 0.0, notes)  # fmt: skip


def standing_in(items: list[InterventionSpec]) -> bool:
    """Whether interventions hold a standing dialysis prescription (weekly sessions, or PD from t = 0)."""
    for iv in items:
        kind = (iv.event or "").lower()
        if kind == "hemodialysis" and iv.days is not None:
            return True
        if kind == "peritoneal_dialysis" and _time(iv.at, "at") == 0:
            return True
    return False


def chronic_from_history(reg, items: list[InterventionSpec], where: str) -> None:
    """The history's standing prescriptions in the chronic state the history starts from (when the regimen itself
    has none), switched off from t = 0."""
    from .regimen import Change

    for i, iv in enumerate(items):
        if standing_in([iv]):
            here = f"{where}[{i}]"
            rx = prescribe(iv, here, _time(iv.at, f"{here}.at"), 168.0, reg.patient.weight_kg)
            values = {"dialysis_clearance": rx.clearance, "ultrafiltration_rate_constant": rx.ultrafiltration}
            values.update({f"dialysate_{ion}": c for ion, c in rx.fluid.items()})
            _standing(reg, rx, values, Change)


def add_dialysis(reg, iv: InterventionSpec, where: str, start: float, sessions: list) -> None:
    """Add a dialysis event's sessions to a regimen (refusing overlaps with other dialysis); a standing
    prescription's time average also enters ``reg.base`` - the patient's chronic state - and is switched off
    outside its sessions from t = 0."""
    from .regimen import Change

    rx = prescribe(iv, where, start, reg.duration, reg.patient.weight_kg)
    for t0, t1 in rx.sessions:
        for other_start, other_end, other_where in sessions:
            if t0 < other_end and other_start < t1:
                raise InputError(f"{where}.at", iv.at, f"a time when no other dialysis runs ({other_where} overlaps)")
        sessions.append((t0, t1, where))
    values = {"dialysis_clearance": rx.clearance, "ultrafiltration_rate_constant": rx.ultrafiltration}
    values.update({f"dialysate_{ion}": c for ion, c in rx.fluid.items()})
    if rx.standing:
        _standing(reg, rx, values, Change)
    for t0, t1 in rx.sessions:
        for name, value in values.items():
            reg.changes.append(Change(t0, t1, name, value, "set"))
    reg.notes += rx.notes
    if rx.kind == "hemodialysis" and len(rx.sessions) > 1:
        first, last = rx.sessions[0][0], rx.sessions[-1][0]
        reg.notes.append(f"{where}: {len(rx.sessions)} haemodialysis sessions, t = {first:g} h to {last:g} h")


def _standing(reg, rx: Prescription, values: dict[str, float], change) -> None:
    """Time-averaged dialysis in the chronic state; off from t = 0 except in the sessions (switched off first, so
    that every prescription's sessions set their own values over it)."""
    before = reg.base.get("dialysis_clearance", 0.0)
    added = rx.clearance * rx.week_share
    total = before + added
    for ion, c in rx.fluid.items():  # clearance-weighted fluid concentration of all standing prescriptions
        key = f"dialysate_{ion}"
        reg.base[key] = (reg.base.get(key, 0.0) * before + c * added) / total
    reg.base["dialysis_clearance"] = total
    reg.base["ultrafiltration_rate_constant"] = reg.base.get("ultrafiltration_rate_constant", 0.0) + (
        rx.ultrafiltration * rx.week_share
    )
    if not any(ch.input == "dialysis_clearance" and ch.t0 == 0 and ch.value == 0 for ch in reg.changes):
        for name in values:
            reg.changes.insert(0, change(0.0, reg.duration, name, 0.0, "set"))
    reg.notes.append(
        f"the patient's chronic state includes their standing {rx.kind.replace('_', ' ')} prescription as its time "
        "average (a history of a few weeks on the same prescription starts them in its periodic state)"
    )

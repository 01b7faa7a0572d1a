"""The scenario form: a scenario as form values and back, and a lytes error's field as the form field it names.

What the form does not show (a history, foods, an event's dialysate, an arm's medications) rides along in hidden
JSON fields, so a built-in loaded into the form runs as written.
"""

from __future__ import annotations

import json
import re

from ..errors import InputError
from ..units import split

IV_KEYS = ("at", "give", "route", "dose", "over", "rate", "every", "for")
MED_KEYS = ("drug", "dose", "every", "route")
LAB_UNITS = ("mmol/L", "mEq/L", "mg/dL")
LABS = ("K", "Mg", "Ca")
DIET = ("K", "Mg", "Na", "Ca")
BLANK_IVS, BLANK_MEDS, MAX_ROWS = 2, 1, 40
unit_egfr = "mL/min/1.73 m²"
SHARED = "main"  # the form's name for the interventions every arm shares


def _number(text, to: str, field: str) -> str:
    """'75 kg' -> '75' in the unit ``to`` (the form field shows the unit beside it)."""
    from ..units import parse

    if text in (None, ""):
        return ""
    value = parse(text, field, to)
    return f"{value:.6g}"


def _rows(items, keys) -> list[dict]:
    rows = []
    for item in items or []:
        if not isinstance(item, dict):
            continue
        row = {k: "" if item.get(k) is None else str(item.get(k)) for k in keys}
        extra = {k: v for k, v in item.items() if k not in keys}
        row["extra"] = json.dumps(extra) if extra else ""
        row["note"] = f"event: {item['event']}" if item.get("event") else ""
        rows.append(row)
    return rows


def _blank(keys, n) -> list[dict]:
    return [dict.fromkeys(keys, "") | {"extra": "", "note": ""} for _ in range(n)]


def form_from_scenario(data: dict) -> dict:
    """The form's values for a scenario (as data, e.g. ``scenario_data``)."""
    patient = dict(data.get("patient") or {})
    labs = dict(patient.pop("labs", None) or {})
    conditions = patient.pop("conditions", []) or []
    cond_text = [c for c in conditions if isinstance(c, str)]
    cond_extra = [c for c in conditions if not isinstance(c, str)]
    sources = data.get("sources")
    form: dict = {
        "name": data.get("name", ""),
        "description": data.get("description", "") if isinstance(data.get("description"), str) else "",
        "sources": json.dumps(sources) if isinstance(sources, list) and sources else "",
        "duration": data.get("duration", "7 d"),
        "patient_weight": _number(patient.pop("weight", "70 kg"), "kg", "patient.weight"),
        "patient_sex": patient.pop("sex", "male"),
        "patient_age": _number(patient.pop("age", "40 y"), "year", "patient.age"),
        "patient_egfr": "",
        "patient_creatinine": "",
        "patient_creatinine_unit": "mg/dL",
        "patient_conditions": ", ".join(cond_text),
        "labs": {},
        "diet": {},
    }
    egfr = patient.pop("egfr", None)
    if egfr is not None:
        form["patient_egfr"] = f"{split(egfr, 'patient.egfr')[0]:g}"
    creatinine = patient.pop("creatinine", None)
    if creatinine is not None:
        number, unit = split(creatinine, "patient.creatinine")
        form["patient_creatinine"] = f"{number:g}"
        form["patient_creatinine_unit"] = "umol/L" if unit.replace("µ", "u").lower() == "umol/l" else "mg/dL"
    for ion in LABS:
        text = labs.pop(ion, None)
        number, unit = split(text, f"patient.labs.{ion}") if text else ("", "mmol/L")
        shown = text.strip()[: len(text.strip()) - len(unit)].strip() if text else ""  # the number as written
        form["labs"][ion] = {"value": shown or (f"{number:g}" if number != "" else ""), "unit": unit}
    diet = dict(data.get("diet") or {})
    for ion in DIET:
        form["diet"][ion] = diet.pop(ion, "") or ""
    shown = ("name", "duration", "patient", "diet", "medications", "description", "sources")
    extra = {k: v for k, v in data.items() if k not in shown}
    extra.pop("interventions", None)
    extra.pop("arms", None)
    if diet:
        extra["diet"] = diet  # foods
    if patient or labs or cond_extra:
        extra["patient"] = (
            patient | ({"labs": labs} if labs else {}) | ({"conditions": cond_extra} if cond_extra else {})
        )
    form["extra"] = json.dumps(extra) if extra else ""
    form["meds"] = _rows(data.get("medications"), MED_KEYS + ("at", "for")) + _blank(
        MED_KEYS + ("at", "for"), BLANK_MEDS
    )
    form["ivs"] = _rows(data.get("interventions"), IV_KEYS) + _blank(IV_KEYS, BLANK_IVS)
    form["arms"] = []
    for name, arm in (data.get("arms") or {}).items():
        arm = dict(arm or {})
        rest = {k: v for k, v in arm.items() if k not in ("description", "interventions")}
        form["arms"].append(
            {
                "name": name,
                "description": arm.get("description", ""),
                "ivs": _rows(arm.get("interventions"), IV_KEYS) + _blank(IV_KEYS, 1),
                "extra": json.dumps(rest) if rest else "",
            }
        )
    form["arms"].append({"name": "", "description": "", "ivs": _blank(IV_KEYS, 2), "extra": ""})
    return form


class FormErrors(InputError):
    """Every field the form checks itself before running that is wrong: ``errors`` maps form field ids to their
    one-line messages (the first is this error's own message)."""

    def __init__(self, errors: dict[str, InputError]):
        self.errors = {k: str(v) for k, v in errors.items()}
        first = next(iter(errors.values()))
        super().__init__(first.field, first.value, first.allowed, first.reason)


_DECIMAL_COMMA = re.compile(r"^\s*([-+]?\d+),(\d+)(?=\s|$|[^\d,])")


def decimal_point(text: str) -> str:
    """'4,1' and '4,1 g' read as 4.1 (a decimal comma); anything else unchanged."""
    return _DECIMAL_COMMA.sub(r"\1.\2", text, count=1) if isinstance(text, str) else text


def check_number(text: str, field: str, unit: str, low: float | None = 0.0) -> str:
    """A form field that takes a bare number (its unit beside it): the number as text, decimal comma read as a point;
    InputError 'a number in <unit>' otherwise."""
    text = decimal_point(text.strip())
    allowed = f"a number in {unit}" + (f", more than {low:g}" if low is not None else "")
    try:
        value = float(text)
    except ValueError:
        raise InputError(field, text, allowed) from None
    if value != value or value in (float("inf"), float("-inf")) or (low is not None and value <= low):
        raise InputError(field, text, allowed)
    return text


def check_quantity(text: str, field: str) -> str:
    """A form field that takes a quantity with its unit ('4 g', '20 min'): decimal comma read as a point; InputError
    if it is not a number followed by a unit (whether the unit fits is checked when the scenario is read)."""
    text = decimal_point(text.strip())
    split(text, field)
    return text


def _json_list(text: str, field: str) -> list:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        raise InputError(field, text, "JSON data written by this page") from None
    if not isinstance(value, list):
        raise InputError(field, text, "a JSON list written by this page")
    return value


def _json(text: str, field: str) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise InputError(field, text, "JSON data written by this page") from None
    if not isinstance(value, dict):
        raise InputError(field, text, "a JSON mapping written by this page")
    return value


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        elif isinstance(v, list) and isinstance(out.get(k), list):
            out[k] = out[k] + v
        else:
            out.setdefault(k, v)
    return out


QUANTITY_KEYS = ("at", "dose", "over", "rate", "every", "for")


def _read_rows(get, prefix: str, keys, where: str, fields: dict, checked=None, label=None) -> list[dict]:
    items = []
    for i in range(MAX_ROWS):
        if get(f"{prefix}{i}-{keys[0]}") is None and get(f"{prefix}{i}-extra") is None:
            break
        item = {k: get(f"{prefix}{i}-{k}", "").strip() for k in keys}
        item = {k: v for k, v in item.items() if v}
        if checked is not None:
            for k in QUANTITY_KEYS:
                if k in item:
                    said = f"{label or where}[{len(items)}].{k}"
                    item[k] = checked(f"{prefix}{i}-{k}", check_quantity, item[k], said) or item[k]
        extra = _json(get(f"{prefix}{i}-extra", ""), f"{prefix}{i}-extra")
        if not item and not extra:
            continue
        fields[f"{where}[{len(items)}]"] = f"{prefix}{i}"
        items.append(item | {k: v for k, v in extra.items() if k not in item})
    return items


def scenario_from_form(get) -> tuple[dict, dict]:
    """The scenario data from the form's values (``get(name, default)``) and a map from scenario fields to form ids."""
    fields: dict[str, str] = {}
    errors: dict[str, InputError] = {}

    def checked(form_id: str, check, *args) -> str:
        try:
            return check(*args)
        except InputError as exc:
            errors.setdefault(form_id, exc)
            return ""

    data: dict = {"name": get("name", "").strip() or "web scenario"}
    duration = get("duration", "").strip()
    data["duration"] = checked("duration", check_quantity, duration, "duration") if duration else "7 d"
    description = get("description", "").strip()
    if description:
        data["description"] = description
    sources = _json_list(get("sources", ""), "sources")
    if sources:
        data["sources"] = sources
    patient: dict = {}
    for key, unit, shown in (("weight", "kg", "kg"), ("age", "y", "years"), ("egfr", "mL/min/1.73m2", unit_egfr)):
        value = get(f"patient_{key}", "").strip()
        if value:
            low = None if key == "egfr" else 0.0
            number = checked(f"patient_{key}", check_number, value, f"patient.{key}", shown, low)
            patient[key] = f"{number} {unit}" if number else value
    sex = get("patient_sex", "").strip()
    if sex:
        patient["sex"] = sex
    creatinine = get("patient_creatinine", "").strip()
    if creatinine:
        unit = get("patient_creatinine_unit", "mg/dL")
        number = checked("patient_creatinine", check_number, creatinine, "patient.creatinine", unit)
        patient["creatinine"] = f"{number or creatinine} {unit}"
    conditions = [c.strip() for c in get("patient_conditions", "").split(",") if c.strip()]
    if conditions:
        patient["conditions"] = conditions
    labs = {}
    for ion in LABS:
        value = get(f"lab_{ion}", "").strip()
        if value:
            unit = get(f"lab_{ion}_unit", "mmol/L")
            number = checked(f"lab_{ion}", check_number, value, f"patient.labs.{ion}", unit)
            labs[ion] = f"{number or value} {unit}"
    if labs:
        patient["labs"] = labs
    diet = {ion: get(f"diet_{ion}", "").strip() for ion in DIET}
    diet = {k: checked(f"diet_{k}", check_quantity, v, f"diet.{k}") or v for k, v in diet.items() if v}
    every = get("every", "").strip()
    if every:
        checked("every", check_quantity, every, "every")
    extra = _json(get("extra", ""), "extra")
    if patient:
        data["patient"] = patient
    if diet:
        data["diet"] = diet
    data = _merge(data, extra)
    meds = _read_rows(get, "med-", MED_KEYS + ("at", "for"), "medications", fields, checked)
    if meds:
        data["medications"] = meds
    ivs = _read_rows(get, "iv-", IV_KEYS, "interventions", fields, checked)
    if ivs:
        data["interventions"] = ivs
    arms = {}
    for j in range(MAX_ROWS):
        if get(f"arm-{j}-name") is None:
            break
        name = get(f"arm-{j}-name", "").strip()
        local: dict[str, str] = {}
        items = _read_rows(
            get, f"arm-{j}-iv-", IV_KEYS, "interventions", local, checked, f"arms.{name or j}.interventions"
        )
        rest = _json(get(f"arm-{j}-extra", ""), f"arm-{j}-extra")
        description = get(f"arm-{j}-description", "").strip()
        if not name:
            if items or description:
                errors.setdefault(
                    f"arm-{j}-name", InputError(f"arm-{j}-name", "", "a name for this arm (letters, digits and _)")
                )
            continue
        fields[f"arms.{name}"] = f"arm-{j}-name"
        fields.update({f"arms.{name}.{k}": v for k, v in local.items()})
        arms[name] = {"description": description, "interventions": items} | rest
    if arms:
        data["arms"] = arms
    if errors:
        raise FormErrors(errors)
    return data, fields


_PART = re.compile(r"^(?P<base>.*?\[\d+\])(?:\.(?P<key>\w+))?")


def field_id(field: str, fields: dict) -> str | None:
    """The form field's id for a lytes error field (``interventions[1].rate`` -> ``iv-1-rate``), or None."""
    field = str(field)
    simple = {
        "name": "name",
        "duration": "duration",
        "patient.weight": "patient_weight",
        "patient.sex": "patient_sex",
        "patient.age": "patient_age",
        "patient.egfr": "patient_egfr",
        "patient.creatinine": "patient_creatinine",
    }
    if field in simple:
        return simple[field]
    if field.startswith("patient.conditions"):
        return "patient_conditions"
    for ion in LABS:
        if field in (f"patient.labs.{ion}", f"patient.labs[{ion}]", f"labs.{ion}", f"lab {ion}"):
            return f"lab_{ion}"
    if field.startswith("patient.labs"):
        return next((f"lab_{ion}" for ion in LABS if ion in field.split(".")[-1]), "lab_K")
    for ion in DIET:
        if field in (f"diet.{ion}",):
            return f"diet_{ion}"
    match = _PART.match(field)
    if match and match.group("base") in fields:
        row = fields[match.group("base")]
        key = match.group("key")
        keys = IV_KEYS if "iv-" in row else MED_KEYS
        return f"{row}-{key}" if key in keys else f"{row}-{keys[0]}"
    if field.startswith("arms."):
        parts = field.split(".")
        return fields.get(".".join(parts[:2]))
    return None

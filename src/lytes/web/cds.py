"""A CDS Hooks service (https://cds-hooks.hl7.org, version 2.0): ``patient-view`` and ``order-select``.

It reads prefetched FHIR R4 resources as plain dicts - LOINC-coded Observations, MedicationRequests, Conditions and
the Patient - and returns cards: one per finding of ``lytes assess`` (indicator from its severity), and, for an
order of IV magnesium sulfate or potassium chloride, the simulated course for this patient.
"""

from __future__ import annotations

import uuid
from datetime import date

from ..errors import InputError
from ..result import NOTICE

SERVICE_ID = "lytes-electrolytes"
ORDER_SERVICE_ID = "lytes-electrolytes-order-select"
LOINC = "http://loinc.org"
# LOINC code -> (lab, what it is); units come from the Observation's valueQuantity
LAB_CODES = {
    "2823-3": ("K", "Potassium [Moles/volume] in Serum or Plasma"),
    "6298-4": ("K", "Potassium [Moles/volume] in Blood"),
    "19123-9": ("Mg", "Magnesium [Mass/volume] in Serum or Plasma"),
    "2601-3": ("Mg", "Magnesium [Moles/volume] in Serum or Plasma"),
    "17861-6": ("Ca", "Calcium [Mass/volume] in Serum or Plasma"),
    "2000-8": ("Ca", "Calcium [Moles/volume] in Serum or Plasma"),
    "1994-3": ("iCa", "Calcium.ionized [Moles/volume] in Blood"),
    "1995-0": ("iCa", "Calcium.ionized [Moles/volume] in Serum or Plasma"),
    "2951-2": ("Na", "Sodium [Moles/volume] in Serum or Plasma"),
    "2160-0": ("creatinine", "Creatinine [Mass/volume] in Serum or Plasma"),
    "14682-9": ("creatinine", "Creatinine [Moles/volume] in Serum or Plasma"),
}
EGFR_CODES = {
    "33914-3": "eGFR/1.73 sq M (MDRD)",
    "62238-1": "eGFR/1.73 sq M (CKD-EPI)",
    "98979-8": "eGFR/1.73 sq M (CKD-EPI 2021, without race)",
}
WEIGHT_CODE = "29463-7"  # Body weight
UCUM = {"mmol/l": "mmol/L", "meq/l": "mEq/L", "mg/dl": "mg/dL", "umol/l": "umol/L", "µmol/l": "umol/L"}
# condition text (display or code text, lower case) -> lytes condition; ICD-10 prefixes alike
CONDITION_WORDS = (
    ("end stage renal", "esrd"),
    ("end-stage renal", "esrd"),
    ("chronic kidney disease", "ckd"),
    ("heart failure", "heart_failure"),
    ("pre-eclampsia", "preeclampsia"),
    ("preeclampsia", "preeclampsia"),
    ("pregnan", "pregnancy"),
    ("gitelman", "gitelman"),
    ("bartter", "bartter"),
    ("alcohol", "alcohol_use_disorder"),
    ("diarrh", "diarrhea"),
    ("vomit", "vomiting"),
    ("aldosteronism", "hyperaldosteronism"),
)
ICD10 = (("N18.6", "esrd"), ("N18", "ckd"), ("I50", "heart_failure"), ("O14", "preeclampsia"), ("Z33", "pregnancy"))
ICD10 += (("F10", "alcohol_use_disorder"), ("E26", "hyperaldosteronism"))
INDICATOR = {"urgent": "critical", "warn": "warning", "info": "info"}
RANK = {"critical": 2, "warning": 1, "info": 0}
MAX_SUMMARY = 140  # a card's summary has fewer characters than this
ORDERABLE = {"MgSO4": ("4 g", "4 h"), "KCl": ("20 mmol", "2 h")}  # assumed when the order gives no dose or time

PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "labs": "Observation?patient={{context.patientId}}&code="
    + ",".join(f"{LOINC}|{c}" for c in (*LAB_CODES, *EGFR_CODES, WEIGHT_CODE))
    + "&_sort=-date&_count=100",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
}


def discovery() -> dict:
    common = {"prefetch": PREFETCH, "usageRequirements": NOTICE}
    return {
        "services": [
            {
                "hook": "patient-view",
                "id": SERVICE_ID,
                "title": "lytes: potassium, magnesium, sodium and calcium",
                "description": "Reads the patient's electrolytes, kidney function, medications and conditions and "
                "returns findings with their mechanism and what to consider (simulation-based; not a prescription).",
            }
            | common,
            {
                "hook": "order-select",
                "id": ORDER_SERVICE_ID,
                "title": "lytes: simulated course of IV magnesium sulfate or potassium chloride",
                "description": "For an order of IV MgSO4 or KCl, simulates the course of serum Mg, K and ionized Ca "
                "for this patient over 48 h.",
            }
            | common,
        ]
    }


# --- FHIR reading (plain dicts; fhir.resources is not needed) -------------------------------------------------


def _resources(value) -> list[dict]:
    """The resources in a prefetch value: a Bundle's entries, a list, or one resource."""
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        return [e.get("resource") for e in value.get("entry") or [] if isinstance(e, dict) and e.get("resource")]
    if isinstance(value, dict) and value.get("resourceType"):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _codes(concept) -> list[tuple[str, str]]:
    if not isinstance(concept, dict):
        return []
    return [
        (str(c.get("system", "")), str(c.get("code", ""))) for c in concept.get("coding") or [] if isinstance(c, dict)
    ]


def _texts(concept) -> list[str]:
    if not isinstance(concept, dict):
        return []
    out = [concept["text"]] if isinstance(concept.get("text"), str) else []
    out += [
        c["display"] for c in concept.get("coding") or [] if isinstance(c, dict) and isinstance(c.get("display"), str)
    ]
    return out


def _when(resource: dict) -> str:
    return str(resource.get("effectiveDateTime") or resource.get("issued") or "")


def _quantity(obs: dict) -> tuple[float, str] | str:
    """(value, unit) of an Observation, or why it cannot be read (a phrase naming the value as given)."""
    import math

    from ..units import split

    q = obs.get("valueQuantity")
    if isinstance(q, dict):
        value = q.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{value!r} is not a number"
        if q.get("comparator"):
            return f"'{q['comparator']}{value:g}' is a bound, not a value"
        if not math.isfinite(float(value)):
            return "its value is not a finite number"
        unit = str(q.get("code") or q.get("unit") or "").strip()
        if not unit:
            return "without a unit"
        return float(value), unit
    text = obs.get("valueString")
    if isinstance(text, str):
        try:
            number, unit = split(text, "valueString")
        except InputError:
            return f"{text[:40]!r} is not a number with a unit"
        return number, unit
    if "dataAbsentReason" in obs:
        return "it has no value (dataAbsentReason)"
    return "it has no valueQuantity"


def read_patient(resources: list[dict]) -> dict:
    """Labs (text with units), eGFR, weight, age, sex, medications (lytes names) and conditions from FHIR resources."""
    from ..reading.assess import parse_lab
    from ..scenario.vocabulary import lookup

    latest: dict[str, tuple[str, str]] = {}
    out: dict = {"labs": {}, "egfr": None, "weight_kg": None, "age": None, "sex": None, "meds": [], "conditions": []}
    out["unread"], out["unrecognised"] = [], []
    seen_egfr = seen_weight = ""
    for r in resources:
        kind = r.get("resourceType")
        if kind == "Patient":
            gender = r.get("gender")
            out["sex"] = gender if gender in ("male", "female") else None
            born = r.get("birthDate")
            if isinstance(born, str) and len(born) >= 4 and born[:4].isdigit():
                out["age"] = float(date.today().year - int(born[:4]))
        elif kind == "Observation":
            if r.get("status") in ("entered-in-error", "cancelled"):
                continue
            codes = [c for s, c in _codes(r.get("code")) if (not s or s == LOINC) and c in KNOWN_CODES]
            if not codes:
                continue
            code, when = codes[0], _when(r)
            what = _what(code)
            q = _quantity(r)
            if isinstance(q, str):
                short = f"{what} observation {q}" if q.startswith("without") else f"{what} observation ({q})"
                out["unread"].append((short, f"{what} observation{_dated(when)}: {q}; not read"))
                continue
            value, unit = q
            if code in LAB_CODES:
                lab = LAB_CODES[code][0]
                shown = "umol/L" if lab == "creatinine" and unit.lower().replace("µ", "u") == "umol/l" else None
                text = f"{value:g} {shown or UCUM.get(unit.lower().replace('µ', 'u'), unit)}"
                try:
                    parse_lab(lab, text, f"lab {lab}")
                except InputError as exc:
                    why = exc.reason or f"expected {exc.allowed}"
                    out["unread"].append(
                        (f"{what} observation '{text}'", f"{what} observation{_dated(when)} '{text}': {why}; not read")
                    )
                    continue
                if lab not in latest or when > latest[lab][0]:
                    latest[lab] = (when, text)
            elif code in EGFR_CODES:
                if not 0 <= value <= 200:
                    said = f"eGFR observation{_dated(when)} '{value:g} {unit}'"
                    out["unread"].append((f"eGFR observation '{value:g} {unit}'", f"{said}: expected 0-200; not read"))
                elif when >= seen_egfr:
                    out["egfr"], seen_egfr = value, when
            elif code == WEIGHT_CODE:
                kg = value * 0.45359237 if unit.lower() in ("[lb_av]", "lb", "lbs") else value
                if not 2 <= kg <= 400:
                    said = f"weight observation{_dated(when)} '{value:g} {unit}'"
                    out["unread"].append((f"weight '{value:g} {unit}'", f"{said}: expected 2-400 kg; not read"))
                elif when >= seen_weight:
                    out["weight_kg"], seen_weight = kg, when
        elif kind == "MedicationRequest":
            if r.get("status") not in (None, "active", "on-hold", "draft"):
                continue
            concept = r.get("medicationCodeableConcept") or {}
            names = _texts(concept) + (
                [r["medicationReference"].get("display")]
                if isinstance(r.get("medicationReference"), dict) and r["medicationReference"].get("display")
                else []
            )
            found = _medication(names, lookup)
            if found is not None and found not in out["meds"]:
                out["meds"].append(found)
            elif found is None and names:
                out["unrecognised"].append(str(names[0]))
        elif kind == "Condition":
            status = _codes(r.get("clinicalStatus"))
            if status and not any(code in ("active", "recurrence", "relapse") for _, code in status):
                continue
            found = _condition(r)
            if found and found not in out["conditions"]:
                out["conditions"].append(found)
    out["labs"] = {lab: text for lab, (_, text) in latest.items()}
    return out


KNOWN_CODES = {*LAB_CODES, *EGFR_CODES, WEIGHT_CODE}


def _what(code: str) -> str:
    if code in LAB_CODES:
        return LAB_CODES[code][0]
    return "eGFR" if code in EGFR_CODES else "weight"


def _dated(when: str) -> str:
    return f" of {when[:10]}" if when else ""


def _medication(names: list[str], lookup) -> str | None:
    """A lytes drug or product for a medication's names: the whole text, else its words and word pairs."""
    for text in names:
        if not isinstance(text, str):
            continue
        hit = lookup(text)
        if hit:
            return hit[1]
        words = text.replace(",", " ").split()
        for size in (3, 2, 1):
            for i in range(len(words) - size + 1):
                hit = lookup(" ".join(words[i : i + size]))
                if hit:
                    return hit[1]
    return None


def _condition(resource: dict) -> str | None:
    for system, code in _codes(resource.get("code")):
        if "icd-10" in system.lower():
            for prefix, name in ICD10:
                if code.upper().startswith(prefix):
                    return name
    for text in _texts(resource.get("code")):
        low = text.lower()
        for word, name in CONDITION_WORDS:
            if word in low:
                return name
    return None


# --- cards --------------------------------------------------------------------------------------------------


def _source(base_url: str) -> dict:
    return {"label": "lytes (simulation for education, research and decision support)", "url": f"{base_url}assess"}


def _card(summary: str, indicator: str, detail: str, base_url: str) -> dict:
    if len(summary) >= MAX_SUMMARY:  # CDS Hooks 2.0: "fewer than 140 characters"
        summary = summary[: MAX_SUMMARY - 2].rstrip() + "…"
    return {
        "uuid": str(uuid.uuid4()),
        "summary": summary,
        "indicator": indicator,
        "detail": detail.rstrip() + f"\n\n*{NOTICE}*",
        "source": _source(base_url),
    }


def finding_cards(assessment, base_url: str, causes: dict[str, list[str]] | None = None) -> list[dict]:
    from ..scenario.vocabulary import display, lookup

    def shown(key: str) -> str:
        return display(*lookup(key)) if lookup(key) else key

    cards = []
    for f in assessment.findings:
        sources = "; ".join(f.sources)
        detail = f"**Mechanism.** {f.mechanism}\n\n**Consider.** {f.consider}\n\n**Sources.** {sources}"
        if (causes or {}).get(f.code):
            drugs = ", ".join(shown(d) for d in causes[f.code])
            detail = f"**Possible drug cause in the medication list.** {drugs}\n\n" + detail
        cards.append(_card(f.summary, INDICATOR[f.severity], detail, base_url))
    cards.sort(key=lambda c: -RANK[c["indicator"]])
    return cards


def _assess(read: dict):
    from ..reading import assess

    labs = {k: v for k, v in read["labs"].items()}
    if not labs:
        return None
    return assess(
        labs,
        age=read["age"] if read["age"] is not None and 18 <= read["age"] <= 120 else None,
        sex=read["sex"],
        meds=read["meds"],
        conditions=read["conditions"],
        egfr=read["egfr"] if "creatinine" not in labs or read["egfr"] is not None else None,
        weight=read["weight_kg"] if read["weight_kg"] and 2 <= read["weight_kg"] <= 400 else None,
    )


def _order(resource: dict) -> tuple[str, dict, list[str]] | None:
    """(product, intervention, assumptions) for a draft MedicationRequest of IV MgSO4 or KCl, else None."""
    from ..scenario.vocabulary import display, lookup, route

    names = _texts(resource.get("medicationCodeableConcept") or {})
    if isinstance(resource.get("medicationReference"), dict) and resource["medicationReference"].get("display"):
        names.append(resource["medicationReference"]["display"])
    key = _medication(names, lookup)
    if key is None or lookup(key) is None or display(*lookup(key)) not in ORDERABLE:
        return None
    product = display(*lookup(key))
    dosage = (resource.get("dosageInstruction") or [{}])[0] or {}
    route_text = " ".join(_texts(dosage.get("route")))
    given_route = route(route_text) if route_text else "iv"
    if given_route not in ("iv", "") and "intravenous" not in route_text.lower():
        return None
    assumed = []
    dose = over = rate = None
    for dr in dosage.get("doseAndRate") or []:
        if not isinstance(dr, dict):
            continue
        dq, rq = dr.get("doseQuantity"), dr.get("rateQuantity")
        if isinstance(dq, dict) and isinstance(dq.get("value"), (int, float)):
            dose = f"{dq['value']:g} {_unit(dq)}"
        if isinstance(rq, dict) and isinstance(rq.get("value"), (int, float)):
            rate = f"{rq['value']:g} {_unit(rq)}"
    repeat = ((dosage.get("timing") or {}).get("repeat") or {}) if isinstance(dosage.get("timing"), dict) else {}
    if isinstance(repeat.get("duration"), (int, float)):
        unit = {"min": "min", "h": "h", "d": "d", "s": "s"}.get(repeat.get("durationUnit", "h"), "h")
        over = f"{repeat['duration']:g} {unit}"
    iv: dict = {"at": "0 h", "give": product, "route": "iv"}
    if rate and not dose:
        iv |= {"rate": rate, "for": over or ORDERABLE[product][1]}
        if not over:
            assumed.append(f"for {ORDERABLE[product][1]} (no duration in the order)")
    else:
        if not dose:
            assumed.append(f"{ORDERABLE[product][0]} (no dose in the order)")
        if not over:
            assumed.append(f"over {ORDERABLE[product][1]} (no duration in the order)")
        iv |= {"dose": dose or ORDERABLE[product][0], "over": over or ORDERABLE[product][1]}
    return product, iv, assumed


def _unit(q: dict) -> str:
    unit = str(q.get("unit") or q.get("code") or "")
    return {"meq": "mEq", "meq/h": "mEq/h", "g/h": "g/h"}.get(unit.lower(), unit)


def _ongoing_meds(read: dict) -> tuple[list[dict], list[str]]:
    """Ongoing drugs as scenario medications at their usual dose (the prefetch's dosing is not read)."""
    from ..scenario.regimen import drugs
    from ..scenario.vocabulary import ACUTE_ONLY

    meds, names = [], []
    table = drugs()
    for m in read["meds"]:
        spec = table.get(m)
        if spec is None or spec["class"] in ACUTE_ONLY or not spec.get("usual"):
            continue
        meds.append({"drug": m, "dose": spec["usual"], "every": "24 h"})
        names.append(f"{m} {spec['usual']} daily")
    return meds, names


def order_card(resource: dict, read: dict, base_url: str, limits) -> dict | None:
    from ..reading import findings_by_arm
    from .service import simulate_limited

    found = _order(resource)
    if found is None:
        return None
    product, iv, assumed = found
    patient: dict = {}
    if read["weight_kg"] and 2 <= read["weight_kg"] <= 400:
        patient["weight"] = f"{read['weight_kg']:.1f} kg"
    else:
        assumed.append("weight 70 kg")
    if read["sex"]:
        patient["sex"] = read["sex"]
    if read["age"] is not None and 18 <= read["age"] <= 120:
        patient["age"] = f"{read['age']:g} y"
    if read["egfr"] is not None:
        patient["egfr"] = f"{read['egfr']:g} mL/min/1.73m2"
    elif "creatinine" in read["labs"]:
        patient["creatinine"] = read["labs"]["creatinine"]
    labs = {k: v for k, v in read["labs"].items() if k in ("K", "Mg", "Ca")}
    conditions = [c for c in read["conditions"] if c not in ("ckd",)]
    meds, med_names = _ongoing_meds(read)
    scenario = {
        "name": f"order: {product} IV",
        "patient": patient | ({"labs": labs} if labs else {}) | ({"conditions": conditions} if conditions else {}),
        "medications": meds,
        "interventions": [iv],
        "duration": "48 h",
    }
    from ..scenario import Scenario

    notes = []
    try:
        result = simulate_limited(Scenario.from_dict(scenario), "30 min", limits)
    except InputError as exc:
        if not labs and not meds:
            raise
        notes.append(f"the prefetched labs or medications could not be matched ({exc}); simulated without them")
        scenario["patient"].pop("labs", None)
        scenario["medications"] = []
        result = simulate_limited(Scenario.from_dict(scenario), "30 min", limits)
    findings = findings_by_arm(result)["main"]
    worst = max((RANK[INDICATOR[f.severity]] for f in findings), default=0)
    indicator = {v: k for k, v in RANK.items()}[worst]
    what = f"{iv.get('dose') or iv.get('rate')} {'over ' + iv['over'] if 'over' in iv else 'for ' + iv['for']}"
    ion = "Mg" if product == "MgSO4" else "K"
    series = "Mg_serum" if ion == "Mg" else "K_serum"
    y = result.series[series]
    peak = int(y.argmax())
    summary = (
        f"Simulated IV {product} {what}: {ion} {y[0]:.2f} -> peak {y[peak]:.2f} mmol/L at {result.time_h[peak]:g} h"
    )
    rows = ["| time | K (mmol/L) | Mg (mmol/L) | ionized Ca (mmol/L) |", "|---|---|---|---|"]
    for t in (0, 2, 4, 6, 12, 24, 48):
        rows.append(
            f"| {t} h | {result.at('K_serum', t):.2f} | {result.at('Mg_serum', t):.2f} | "
            f"{result.at('Ca_ionized', t):.2f} |"
        )
    lines = [f"**Simulated course over 48 h** of IV {product} {what}, for this patient:", "", *rows, ""]
    if findings:
        lines.append("**Findings over the run:**")
        lines += [f"- {f.severity} at {f.time_h:g} h: {f.summary}" for f in findings]
        lines.append("")
    used = ", ".join(f"{k} {v}" for k, v in (patient | labs).items() if k != "labs")
    lines.append(f"Patient as read: {used or 'healthy adult defaults'}.")
    if med_names:
        lines.append(f"Ongoing medications at their usual dose: {', '.join(med_names)}.")
    if assumed:
        lines.append(f"Assumed: {'; '.join(assumed)}.")
    lines += [f"Note: {n}" for n in notes + list(result.notes)]
    return _card(summary, indicator, "\n".join(lines), base_url)


class PrefetchMissing(Exception):
    """The request lacks prefetched data this service needs and it cannot fetch it: HTTP 412 (CDS Hooks 2.0)."""

    def __init__(self, keys: list[str]):
        self.keys = keys
        said = ", ".join(repr(k) for k in keys)
        super().__init__(
            f"prefetch: {said} missing (absent, null or an OperationOutcome); this service does not query the FHIR "
            "server itself - send the prefetch listed at GET /cds-services"
        )


def _check_prefetch(request: dict) -> dict:
    """The prefetch mapping, or PrefetchMissing naming each key that is absent, null or an OperationOutcome."""
    prefetch = request.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, dict):
        raise InputError("prefetch", type(prefetch).__name__, "a mapping of prefetch keys to FHIR resources")
    prefetch = prefetch or {}
    missing = []
    for key in PREFETCH:
        value = prefetch.get(key)
        if not isinstance(value, (dict, list)) or (isinstance(value, dict) and not value.get("resourceType")):
            missing.append(key)
        elif isinstance(value, dict) and value.get("resourceType") == "OperationOutcome":
            missing.append(key)
    if missing:
        raise PrefetchMissing(missing)
    return prefetch


HOOK_OF = {SERVICE_ID: "patient-view", ORDER_SERVICE_ID: "order-select"}
LOW_CAUSE_FINDINGS = ("hypokalemia", "hypomagnesemia", "mg_deficiency_refractory_hypokalemia")


def drug_causes(assessment, read: dict) -> dict[str, list[str]]:
    """For each finding code, the patient's drugs the reading and its options name as a cause: the diuretics of
    ``diuretic_depletion``, the PPI or thiazide the low K/Mg options would stop, the drugs of ``drugs_raise_k``
    and the K-raising drugs the hyperkalaemia options would stop (``lytes assess`` and its option menus)."""
    from ..reading.options import plan

    codes = set(assessment.codes())
    low: list[str] = []
    high: list[str] = []
    for f in assessment.findings:
        if f.code == "diuretic_depletion":
            low += list(f.values.get("diuretics") or [])
        if f.code == "drugs_raise_k":
            high += list(f.values.get("drugs") or [])
    try:
        chosen = plan(assessment, read["age"] or 60, read["sex"] or "male", read["weight_kg"] or 70.0, read["meds"], [])
    except (InputError, KeyError, ValueError):
        chosen = None
    if chosen is not None:
        stopped = [a[len("stop_") :] for a in chosen.scenario.get("arms", {}) if a.startswith("stop_")]
        (high if chosen.menu == "hyperkalemia" else low).extend(stopped)
    low, high = list(dict.fromkeys(low)), list(dict.fromkeys(high))
    out = {}
    for code in codes:
        if code in LOW_CAUSE_FINDINGS and low:
            out[code] = low
        if code == "hyperkalemia" and high:
            out[code] = high
    return out


def _info_card(summary: str, lines: list[str], base_url: str) -> dict:
    return _card(summary, "info", "\n".join(f"- {line}" for line in lines), base_url)


def cards(request: dict, base_url: str, limits, service_id: str | None = None) -> dict:
    """The CDS Hooks response for a request: ``{"cards": [...]}``. ``service_id``: the service called, which answers
    only its own hook. Raises PrefetchMissing (412) when the prefetch this service needs is not in the request."""
    if not isinstance(request, dict):
        raise InputError("request", type(request).__name__, "a CDS Hooks request (a JSON object)")
    hook = request.get("hook")
    expected = HOOK_OF.get(service_id) if service_id else None
    if expected is not None and hook != expected:
        raise InputError("hook", hook, f"{expected} (the hook of the service {service_id})")
    if hook not in ("patient-view", "order-select"):
        raise InputError("hook", hook, "patient-view or order-select")
    context = request.get("context") or {}
    if not isinstance(context, dict):
        raise InputError("context", type(context).__name__, "a mapping")
    prefetch = _check_prefetch(request)
    resources = []
    for value in prefetch.values():
        resources += [r for r in _resources(value) if isinstance(r, dict)]
    read = read_patient(resources)
    out: list[dict] = []
    if hook == "order-select":
        drafts = _resources(context.get("draftOrders"))
        selected = context.get("selections") or []
        for r in drafts:
            if r.get("resourceType") != "MedicationRequest":
                continue
            if selected and f"MedicationRequest/{r.get('id')}" not in selected:
                continue
            card = order_card(r, read, base_url, limits)
            if card is not None:
                out.append(card)
    try:
        assessment = _assess(read)
    except InputError as exc:  # every lab was checked on reading; a combination may still be refused
        read["unread"].append(("the labs together", f"the labs together: {exc}; not assessed"))
        assessment = None
    if assessment is not None:
        found = finding_cards(assessment, base_url, drug_causes(assessment, read))
        out += found if hook == "patient-view" else [c for c in found if c["indicator"] != "info"]
    elif hook == "patient-view":
        out.append(
            _info_card(
                "lytes: no K, Mg, Ca or creatinine observations were read for this patient",
                [
                    "the prefetched Observations held no readable lab of those LOINC codes: "
                    + ", ".join(sorted(LAB_CODES))
                ],
                base_url,
            )
        )
    notes = list(read["unread"])
    if read["unrecognised"]:
        names = ", ".join(read["unrecognised"])
        notes.append((f"not recognised: {names}", f"medication not recognised (not used in the reading): {names}"))
    if notes:
        summary = "lytes did not read: " + "; ".join(short for short, _ in notes)
        out.append(_info_card(summary, [long for _, long in notes], base_url))
    return {"cards": out}

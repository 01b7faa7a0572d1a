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
                "for this patient over 48 h (also answered at /cds-services/lytes-electrolytes).",
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


def _all_resources(request: dict) -> list[dict]:
    prefetch = request.get("prefetch") or {}
    if not isinstance(prefetch, dict):
        raise InputError("prefetch", type(prefetch).__name__, "a mapping of prefetch keys to FHIR resources")
    out = []
    for value in prefetch.values():
        out += [r for r in _resources(value) if isinstance(r, dict)]
    return out


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


def _quantity(obs: dict) -> tuple[float, str] | None:
    q = obs.get("valueQuantity")
    if not isinstance(q, dict) or isinstance(q.get("value"), bool) or not isinstance(q.get("value"), (int, float)):
        return None
    unit = str(q.get("code") or q.get("unit") or "")
    return float(q["value"]), unit


def read_patient(resources: list[dict]) -> dict:
    """Labs (text with units), eGFR, weight, age, sex, medications (lytes names) and conditions from FHIR resources."""
    from ..scenario.vocabulary import lookup

    latest: dict[str, tuple[str, str]] = {}
    out: dict = {"labs": {}, "egfr": None, "weight_kg": None, "age": None, "sex": None, "meds": [], "conditions": []}
    out["unread"] = []
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
            q = _quantity(r)
            if q is None:
                continue
            value, unit = q
            for system, code in _codes(r.get("code")):
                if system and system != LOINC:
                    continue
                when = _when(r)
                if code in LAB_CODES:
                    lab = LAB_CODES[code][0]
                    shown = "umol/L" if lab == "creatinine" and unit.lower().replace("µ", "u") == "umol/l" else None
                    text = f"{value:g} {shown or UCUM.get(unit.lower().replace('µ', 'u'), unit)}"
                    if lab not in latest or when > latest[lab][0]:
                        latest[lab] = (when, text)
                elif code in EGFR_CODES and when >= seen_egfr:
                    out["egfr"], seen_egfr = value, when
                elif code == WEIGHT_CODE and when >= seen_weight:
                    kg = value * 0.45359237 if unit.lower() in ("[lb_av]", "lb", "lbs") else value
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
                out["unread"].append(names[0])
        elif kind == "Condition":
            status = _codes(r.get("clinicalStatus"))
            if status and not any(code in ("active", "recurrence", "relapse") for _, code in status):
                continue
            found = _condition(r)
            if found and found not in out["conditions"]:
                out["conditions"].append(found)
    out["labs"] = {lab: text for lab, (_, text) in latest.items()}
    return out


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
    if len(summary) > 140:
        summary = summary[:139] + "…"
    return {
        "uuid": str(uuid.uuid4()),
        "summary": summary,
        "indicator": indicator,
        "detail": detail.rstrip() + f"\n\n*{NOTICE}*",
        "source": _source(base_url),
    }


def finding_cards(assessment, base_url: str) -> list[dict]:
    cards = []
    for f in assessment.findings:
        sources = "; ".join(f.sources)
        detail = f"**Mechanism.** {f.mechanism}\n\n**Consider.** {f.consider}\n\n**Sources.** {sources}"
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


def cards(request: dict, base_url: str, limits) -> dict:
    """The CDS Hooks response for a request: ``{"cards": [...]}``."""
    if not isinstance(request, dict):
        raise InputError("request", type(request).__name__, "a CDS Hooks request (a JSON object)")
    hook = request.get("hook")
    if hook not in ("patient-view", "order-select"):
        raise InputError("hook", hook, "patient-view or order-select")
    context = request.get("context") or {}
    if not isinstance(context, dict):
        raise InputError("context", type(context).__name__, "a mapping")
    read = read_patient(_all_resources(request))
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
    assessment = _assess(read)
    if assessment is not None:
        found = finding_cards(assessment, base_url)
        out += found if hook == "patient-view" else [c for c in found if c["indicator"] != "info"]
    return {"cards": out}

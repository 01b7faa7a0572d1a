"""Simulated options for an assessed patient: the virtual patient is built from the labs (``patient.labs``) and the
standard options run side by side for 72 h - for an urgent state, the menu of data/menus.yaml shown from 15 min.
Options a patient should not have (a loop diuretic in an anuric patient) are withheld with the reason. Simulations,
not orders."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources

import yaml

from .assess import MG_SOURCES, Assessment

LOW_TIMES_H = (24.0, 48.0, 72.0)
URGENT_K = 6.0  # mmol/L: severe hyperkalaemia (UK Kidney Association 2020) - its menu comes first

# severe hypomagnesaemia: 8-12 g MgSO4 over the first 24 h, then 4-6 g a day for 3-4 days (Tong GM, Rude RK.
# J Intensive Care Med 2005;20:3; Hansen BA, Bruserud O. Eur J Intern Med 2018)
MG_REPLETION = [
    {"at": "0 h", "give": "MgSO4", "route": "iv", "dose": "4 g", "over": "4 h"},
    {"at": "4 h", "give": "MgSO4", "route": "iv", "dose": "4 g", "over": "20 h"},
    {"at": "24 h", "give": "MgSO4", "route": "iv", "dose": "4 g", "over": "12 h", "every": "24 h", "for": "2 d"},
]
MG_REPLETION_TEXT = "IV MgSO4 8 g on day 1 (4 g over 4 h, 4 g over 20 h), then 4 g over 12 h daily"
# severe hypokalaemia: IV KCl at 10 mmol/h (peripheral line) for 8 h, then oral (Kruse JA, Carlson RW. Arch Intern Med
# 1990: 20 mmol/h raised K ~0.25 per 10 mmol in ICU patients; Cohn JN et al. Arch Intern Med 2000)
IV_K = [
    {"at": "0 h", "give": "KCl", "route": "iv", "rate": "10 mmol/h", "for": "8 h"},
    {"at": "8 h", "give": "KCl", "route": "oral", "dose": "40 mmol", "every": "8 h", "for": "64 h"},
]

LOW_OPTIONS = {
    "K_alone": {
        "description": "oral KCl 40 mmol every 8 h",
        "interventions": [
            {"at": "0 h", "give": "KCl", "route": "oral", "dose": "40 mmol", "every": "8 h", "for": "3 d"}
        ],
    },
    "Mg_alone": {
        "description": MG_REPLETION_TEXT,
        "interventions": [*MG_REPLETION],
    },
    "Mg_and_K": {
        "description": MG_REPLETION_TEXT + " with oral KCl 40 mmol every 8 h",
        "interventions": [
            *MG_REPLETION,
            {"at": "0 h", "give": "KCl", "route": "oral", "dose": "40 mmol", "every": "8 h", "for": "3 d"},
        ],
    },
}
# the standing prescription assumed for an assessed patient with end-stage renal disease (Mon/Wed/Fri 4 h, dialysate K 2)
ESRD_SCHEDULE = {"at": "8 h", "event": "hemodialysis", "for": "4 h", "days": ["Mon", "Wed", "Fri"]}
# ... or on peritoneal dialysis (--dialysis peritoneal): four 2-L exchanges a day
PD_SCHEDULE = {"at": "0 h", "event": "peritoneal_dialysis", "exchanges": 4, "dwell": "4 h", "fill": "2 L"}


@dataclass
class Plan:
    """The options for one assessed patient: the scenario (arms), when to show them, the lab they are about, and
    the options withheld for this patient with the reason."""

    scenario: dict
    times_h: tuple[float, ...] = LOW_TIMES_H
    primary: str = "K_serum"
    withheld: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # option -> what a reader should know (e.g. a caveat)
    menu: str = "low K/Mg"
    caveats: list[str] = field(default_factory=list)  # what the simulations leave out for this patient


@functools.cache
def menus() -> dict:
    return yaml.safe_load(resources.files("lytes.data").joinpath("menus.yaml").read_text(encoding="utf-8"))


def _withheld(option: dict, egfr: float | None, conditions: list[str]) -> str | None:
    """Why an option is withheld for this patient (None when it may be given)."""
    need = option.get("requires", {})
    anuric = "esrd" in conditions or egfr == 0
    if need.get("not_anuric") and anuric:
        return "the patient is anuric: nothing to act on"
    floor = need.get("egfr_at_least")
    if floor is not None and egfr is not None and egfr < floor:
        return f"eGFR {egfr:.0f} is below {floor}: the kidney cannot respond"
    block = option.get("withhold_if", {}).get("conditions_and_egfr_below")
    if block and egfr is not None and egfr < block["egfr"] and set(block["conditions"]) & set(conditions):
        return (
            f"{', '.join(sorted(set(block['conditions']) & set(conditions)))} with eGFR {egfr:.0f}: fluid risks "
            "pulmonary oedema and the kidney cannot excrete the Mg - dialysis instead"
        )
    return None


def plan(
    a: Assessment,
    age: float,
    sex: str,
    weight_kg: float,
    meds: list[str],
    conditions: list[str],
    height_cm: float | None = None,
) -> Plan:
    """The options for this assessment: the menu its state selects (hyperkalaemia, hypermagnesaemia, else the low
    K/Mg options), with the options this patient should not have withheld, and stopping the K-raising drugs taken."""
    from ..scenario.regimen import drugs
    from ..scenario.vocabulary import ACUTE_ONLY
    from .assess import BETA_BLOCKERS, K_RAISING

    labs = {ion: f"{a.labs[ion]} mmol/L" for ion in ("K", "Mg", "Ca") if ion in a.labs}
    patient = {
        "weight": f"{weight_kg} kg",
        **({} if height_cm is None else {"height": f"{height_cm:g} cm"}),
        "sex": sex,
        "age": f"{age} y",
        "labs": labs,
        # the labs describe the patient now: an AKI's course is not known, so it is not simulated as a condition
        "conditions": [c for c in conditions if c not in ("ckd", "aki")],
    }
    dialysis = a.inputs.get("dialysis", "none")
    if dialysis != "none" and "esrd" not in patient["conditions"]:
        patient["conditions"] = [*patient["conditions"], "esrd"]  # on maintenance dialysis: the kidney is not counted
    if a.egfr is not None and dialysis == "none":
        patient["egfr"] = f"{a.egfr} mL/min/1.73m2"
    table = drugs()
    medications = [
        {"drug": m, "dose": table[m]["usual"], "every": "12 h" if table[m]["class"] == "loop" else "24 h"}
        for m in meds
        if m in table and table[m]["class"] not in ACUTE_ONLY and m not in MG_SOURCES
    ]
    caveats = []
    per_kg = a.inputs.get("urine_output_mL_kg_h")
    if per_kg is None and a.inputs.get("urine_output_mL_h") is not None:
        per_kg = a.inputs["urine_output_mL_h"] / weight_kg
    if per_kg is not None and per_kg < 0.5 and dialysis == "none":
        caveats.append(
            f"urine output {per_kg:.2f} mL/kg/h is not simulated: the virtual kidney excretes at the eGFR, so with "
            "this oliguria K and Mg will fall more slowly than shown (dialysis removes them regardless)"
        )
    codes = set(a.codes())
    menu_name = next((name for name, menu in menus().items() if set(menu["when"]) & codes), None)
    k = a.labs.get("K")
    if menu_name == "hyperkalemia" and "hypermagnesemia" in codes and (k is None or k < URGENT_K):
        menu_name = "hypermagnesemia"  # Mg toxicity with a mild K rise: the Mg is the emergency
    out = {"patient": patient, "medications": medications, "duration": "72 h"}
    if dialysis == "peritoneal":  # the patient's own dialysis goes on under every option
        out["interventions"] = [PD_SCHEDULE]
    elif "esrd" in patient["conditions"]:
        out["interventions"] = [ESRD_SCHEDULE]
    if menu_name is None:
        arms = dict(LOW_OPTIONS)
        k = a.labs.get("K")
        withheld = {}
        if k is not None and k >= 3.5:  # K is not low: only Mg is given
            raising = sorted(m["drug"] for m in medications if m["drug"] in K_RAISING)
            why = f"K {k:g} is not low" + (f" and {', '.join(raising)} raise it" if raising else "")
            for name in ("K_alone", "Mg_and_K"):
                withheld[name] = why + ": K is not given"
                arms.pop(name)
        if (k is not None and k < 3.0) or "hypokalemia_ecg_changes" in codes:  # severe: IV K with IV Mg
            arms["Mg_and_IV_K"] = {
                "description": MG_REPLETION_TEXT + " with IV KCl 10 mmol/h for 8 h, then oral KCl 40 mmol every 8 h",
                "interventions": [*MG_REPLETION, *IV_K],
            }
        for drug in medications:  # the cause of the depletion can be stopped (Hoorn EJ et al. Am J Kidney Dis 2010)
            name = drug["drug"]
            if table[name]["class"] in ("ppi", "thiazide"):
                with_k = "Mg_and_K" in arms
                arms[f"stop_{name}"] = {
                    "description": f"stop {name}, with "
                    + MG_REPLETION_TEXT
                    + (" and oral KCl 40 mmol every 8 h" if with_k else ""),
                    "interventions": [
                        {"at": "0 h", "event": "stop", "give": name},
                        *(arms["Mg_and_K"] if with_k else arms["Mg_alone"])["interventions"],
                    ],
                }
        out |= {"name": "lytes assess: simulated options for low K/Mg", "arms": arms}
        return Plan(out, withheld=withheld, caveats=caveats)
    menu = menus()[menu_name]
    arms, withheld, notes = {}, {}, {}
    for name, option in menu["options"].items():
        why = _withheld(option, a.egfr, patient["conditions"])
        if why is None and dialysis == "peritoneal" and any(i.get("event") for i in option.get("interventions", [])):
            why = (
                "the patient's peritoneal dialysis runs throughout these simulations; an emergency haemodialysis "
                "session alongside it is not simulated"
            )
        if why is not None:
            withheld[name] = why
            continue
        arms[name] = {"description": option["description"], "interventions": option.get("interventions", [])}
        if option.get("note"):
            notes[name] = option["note"]
    if menu_name == "hyperkalemia":  # stopping what raises K is an option of its own
        for drug in medications:
            name = drug["drug"]
            nonselective = name in BETA_BLOCKERS and float(table[name].get("beta2_share", 0)) >= 0.8
            if name in K_RAISING or nonselective:
                arms[f"stop_{name}"] = {
                    "description": f"stop {name}",
                    "interventions": [{"at": "0 h", "event": "stop", "give": name}],
                }
                notes[f"stop_{name}"] = "its effect wears off over its half-life; combine with the emergency measures"
    shown = {"hyperkalemia": "hyperkalaemia", "hypermagnesemia": "hypermagnesaemia"}.get(menu_name, menu_name)
    out |= {"name": f"lytes assess: simulated options for {shown}", "arms": arms}
    return Plan(out, tuple(menu["times_h"]), menu["primary"], withheld, notes, menu_name, caveats)


def scenario_for(a: Assessment, *args, **kwargs) -> dict:
    """The options scenario (a dict) for this assessment: :func:`plan`'s arguments, its ``scenario``."""
    return plan(a, *args, **kwargs).scenario


SHOWN = ("K_serum", "Mg_serum", "Ca_ionized", "excitability_margin")


def options_dict(chosen, options) -> dict:
    """The simulated options as JSON data (``lytes assess --simulate --json`` and the web service's assess)."""
    return {
        "menu": chosen.menu,
        "times_h": list(chosen.times_h),
        "arms": table_at(options, chosen.times_h),
        "descriptions": options.descriptions,
        "option_notes": chosen.notes,
        "withheld": chosen.withheld,
        "caveats": chosen.caveats,
        "notes": next(iter(options.arms.values())).notes,
    }


def table_at(comparison, times=LOW_TIMES_H) -> dict:
    """{arm: {quantity: [value at each time]}} for K, Mg, ionized Ca and the excitability margin."""
    return {arm: {q: [round(r.at(q, t), 2) for t in times] for q in SHOWN} for arm, r in comparison.arms.items()}

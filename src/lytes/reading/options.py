"""Simulated options for an assessed patient: the virtual patient is built from the labs (``patient.labs``) and the
standard options run side by side for 72 h. Simulations, not orders."""

from __future__ import annotations

from .assess import MG_SOURCES, Assessment

# severe hypomagnesaemia: 8-12 g MgSO4 over the first 24 h, then 4-6 g a day for 3-4 days (Tong GM, Rude RK.
# J Intensive Care Med 2005;20:3; Hansen BA, Bruserud O. Eur J Intern Med 2018)
MG_REPLETION = [
    {"at": "0 h", "give": "MgSO4", "route": "iv", "dose": "4 g", "over": "4 h"},
    {"at": "4 h", "give": "MgSO4", "route": "iv", "dose": "4 g", "over": "20 h"},
    {"at": "24 h", "give": "MgSO4", "route": "iv", "dose": "4 g", "over": "12 h", "every": "24 h", "for": "2 d"},
]
MG_REPLETION_TEXT = "IV MgSO4 8 g on day 1 (4 g over 4 h, 4 g over 20 h), then 4 g over 12 h daily"

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
HIGH_OPTIONS = {
    "stop_source": {"description": "stop the Mg source, supportive care"},
    "calcium": {
        "description": "calcium gluconate 2 g IV over 10 min",
        "interventions": [{"at": "0 h", "give": "Ca gluconate", "route": "iv", "dose": "2 g", "over": "10 min"}],
    },
    "loop_and_saline": {
        "description": "furosemide 80 mg IV with 2 L 0.9 % saline over 6 h",
        "interventions": [
            {"at": "0 h", "give": "furosemide", "route": "iv", "dose": "80 mg"},
            {"at": "0 h", "give": "NaCl", "route": "iv", "volume": "2 L", "concentration": "0.9 %", "over": "6 h"},
        ],
    },
    "hemodialysis": {
        "description": "4 h haemodialysis (dialysate K 3, Mg 0.5, Ca 1.5 mmol/L)",
        "interventions": [
            {
                "at": "1 h",
                "event": "hemodialysis",
                "for": "4 h",
                "dialysate": {"K": "3 mmol/L", "Mg": "0.5 mmol/L", "Ca": "1.5 mmol/L"},
            }
        ],
    },
}
HIGH_CODES = {"hypermagnesemia", "hyperkalemia"}
# the standing prescription assumed for an assessed patient with end-stage renal disease (Mon/Wed/Fri 4 h, dialysate K 2)
ESRD_SCHEDULE = {"at": "8 h", "event": "hemodialysis", "for": "4 h", "days": ["Mon", "Wed", "Fri"]}


def scenario_for(a: Assessment, age: float, sex: str, weight_kg: float, meds: list[str], conditions: list[str]):
    """The options scenario (a dict) for this assessment: low-K/Mg options, or high-Mg/K options."""
    from ..scenario.regimen import drugs
    from ..scenario.vocabulary import ACUTE_ONLY

    labs = {ion: f"{a.labs[ion]} mmol/L" for ion in ("K", "Mg", "Ca") if ion in a.labs}
    patient = {
        "weight": f"{weight_kg} kg",
        "sex": sex,
        "age": f"{age} y",
        "labs": labs,
        "conditions": [c for c in conditions if c not in ("ckd",)],
    }
    if a.egfr is not None:
        patient["egfr"] = f"{a.egfr} mL/min/1.73m2"
    table = drugs()
    medications = [
        {"drug": m, "dose": table[m]["usual"], "every": "12 h" if table[m]["class"] == "loop" else "24 h"}
        for m in meds
        if m in table and table[m]["class"] not in ACUTE_ONLY and m not in MG_SOURCES
    ]
    high = bool(HIGH_CODES & set(a.codes()))
    out = {
        "name": "lytes assess: simulated options" + (" for high Mg/K" if high else " for low K/Mg"),
        "patient": patient,
        "medications": medications,
        "arms": HIGH_OPTIONS if high else LOW_OPTIONS,
        "duration": "72 h",
    }
    if "esrd" in conditions:  # an anuric patient lives on dialysis: the usual thrice-weekly schedule goes on
        out["interventions"] = [ESRD_SCHEDULE]
    return out


def table_at(comparison, times=(24, 48, 72)) -> dict:
    """{arm: {quantity: [value at each time]}} for K, Mg and ionized Ca."""
    return {
        arm: {q: [round(r.at(q, t), 2) for t in times] for q in ("K_serum", "Mg_serum", "Ca_ionized")}
        for arm, r in comparison.arms.items()
    }

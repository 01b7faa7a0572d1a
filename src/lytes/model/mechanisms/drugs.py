"""Drugs as pharmacokinetic states whose effects act through the physiological mechanisms.

Each drug class has a depot (oral doses land there) and a central amount (IV doses and infusions land there):
d(depot)/dt = -ka depot, d(central)/dt = F ka depot - ke central (+ infusion). Its occupancy
E = C / (EC50 + C) scales effects on the mechanisms' hooks; slow effects (PPI on gut TRPM6, thiazide on DCT TRPM6,
insulin action) follow E through an effect compartment. The hooks multiply the scenario's condition factors:

| class | effects |
|---|---|
| loop (furosemide) | TAL Mg and Ca reabsorption down, natriuresis and distal Na delivery up |
| thiazide (hydrochlorothiazide) | natriuresis and distal Na delivery up; DCT Ca reabsorption up; DCT Mg (TRPM6) down over days |
| beta-blockers (propranolol; atenolol weakly) | block resting beta-2 pump tone and beta-2 agonists; lower renin (aldosterone) |
| beta-2 agonists (albuterol, adrenaline) | pump stimulation |
| insulin | pump stimulation (through an effect compartment) |
| PPI (omeprazole, esomeprazole, pantoprazole) | transcellular gut Mg absorption down over days |
| MRA (spironolactone) | blocks aldosterone's action on distal secretion |
| ACE inhibitor (lisinopril) | aldosterone secretion down |
| ENaC blocker (amiloride) | secretory driving force down, natriuresis up |

References
----------
Brater DC. N Engl J Med 1998;339:387 (loop diuretics). Ellison DH, Felker GM. N Engl J Med 2017 (diuretics).
Allon M et al. Ann Intern Med 1989;110:426 (albuterol, V19). Harel Z, Kamel KS. PLoS One 2016 (insulin, V18).
Struthers AD et al. Clin Sci 1983 (beta-blockade and adrenaline, V20). William JH et al. 2014 (PPI and TRPM6).
"""

import math

from ..core import ModelBuilder

CLASSES = (
    "loop",
    "thiazide",
    "propranolol",
    "atenolol",
    "albuterol",
    "epinephrine",
    "insulin",
    "ppi",
    "mra",
    "acei",
    "enac",
)
UNITS = {"insulin": "U"}
SLOW = ("thiazide", "ppi", "insulin")  # effects that follow occupancy through an effect compartment


def _pk(m: ModelBuilder, cls: str):
    unit = UNITS.get(cls, "mg")
    depot = m.state(f"{cls}_depot", unit, f"{cls}: oral dose not yet absorbed", role="control")
    central = m.state(f"{cls}_central", unit, f"{cls}: amount in the body", role="control")
    ka = m.param(f"{cls}_ka", "1/h")
    f = m.param(f"{cls}_bioavailability", "1")
    ke = math.log(2) / m.param(f"{cls}_half_life", "h")
    infusion = m.input(f"{cls}_infusion", f"{unit}/h", f"{cls} infusion rate")
    oral = m.input(f"{cls}_oral", f"{unit}/h", f"{cls} taken by mouth as a steady rate (long histories)")
    m.rate(f"{cls}_depot", oral - ka * depot)
    m.rate(f"{cls}_central", f * ka * depot - ke * central + infusion)
    occupancy = m.var(f"{cls}_occupancy", central / (m.param(f"{cls}_EC50", unit) + central))
    if cls in SLOW:
        effect = m.state(f"{cls}_effect", "1", f"{cls}: effect-compartment occupancy", role="control")
        m.rate(f"{cls}_effect", (occupancy - effect) / m.param(f"{cls}_effect_delay", "h"))
        return occupancy, effect
    return occupancy, occupancy


def build(m: ModelBuilder) -> None:
    active = m.options.get("drug_classes", CLASSES)
    both = {cls: _pk(m, cls) if cls in active else (0, 0) for cls in CLASSES}
    e = {cls: fast for cls, (fast, _) in both.items()}  # occupancy: acute effects
    slow = {cls: late for cls, (_, late) in both.items()}  # effect compartment: TRPM6 regulation, insulin action
    p = m.param

    # kidney: TAL (loop), DCT (thiazide), natriuresis, distal Na delivery, aldosterone action and secretion
    m.var("drug_tal_factor", 1 - p("loop_tal_block", "1") * e["loop"])
    m.var("drug_dct_mg_factor", 1 - p("thiazide_trpm6_block", "1") * slow["thiazide"])
    m.var("drug_dct_ca_factor", 1 + p("thiazide_dct_ca_gain", "1") * e["thiazide"])
    m.var(
        "drug_natriuresis_factor",
        (1 + p("loop_natriuresis_gain", "1") * e["loop"])
        * (1 + p("thiazide_natriuresis_gain", "1") * e["thiazide"])
        * (1 + p("enac_natriuresis_gain", "1") * e["enac"])
        * (1 + p("mra_natriuresis_gain", "1") * e["mra"]),
    )
    m.var(
        "drug_distal_na_factor",
        (1 + p("loop_distal_na_gain", "1") * e["loop"]) * (1 + p("thiazide_distal_na_gain", "1") * e["thiazide"]),
    )
    m.var("drug_aldosterone_action", (1 - p("mra_block", "1") * e["mra"]) * (1 - p("enac_block", "1") * e["enac"]))
    renin = (1 - p("acei_aldosterone_block", "1") * e["acei"]) * (
        1 - p("beta_blocker_renin_block", "1") * (e["propranolol"] + e["atenolol"]) / 2
    )
    m.var("drug_aldosterone_secretion", renin)

    # cells: beta-2 tone and agonists, insulin
    beta2_block = 1 - (1 - e["propranolol"]) * (1 - p("atenolol_beta2_selectivity", "1") * e["atenolol"])
    agonist = p("beta2_agonist_pump_gain", "1") * (1 - (1 - e["albuterol"]) * (1 - e["epinephrine"]))
    m.var("drug_pump_beta2", (1 + agonist * (1 - beta2_block)) * (1 - p("beta2_resting_tone", "1") * beta2_block))
    m.var("drug_pump_insulin", 1 + p("insulin_pump_gain", "1") * slow["insulin"])

    # gut: PPIs inhibit transcellular Mg absorption (TRPM6/7)
    m.var("drug_gut_mg_factor", 1 - p("ppi_trpm6_block", "1") * slow["ppi"])
    m.var("ppi_trpm6_silencing", slow["ppi"])

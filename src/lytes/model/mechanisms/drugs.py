"""Drugs as pharmacokinetic states whose effects act through the physiological mechanisms.

A drug is a member of a class (data/drugs.yaml): the member brings its own pharmacokinetics and a potency (class-
equivalent mg per mg), the class brings the mechanism. Each class has a depot (oral doses land there) and a central
amount (IV doses and infusions land there), in class-equivalent units:
d(depot)/dt = -ka depot, d(central)/dt = F ka depot - ke central (+ infusion), with ke = ke_nonrenal +
ke_renal GFR/GFR_ref so that renally cleared drugs (atenolol, digoxin) accumulate as the kidneys fail. ka, F and
the two ke are inputs the scenario sets from the member it gives (one member of a class at a time). The occupancy
E = C / (EC50 + C) scales effects (for diuretics, which act from the tubular lumen, C is scaled by GFR/GFR_ref) on the mechanisms' hooks; slow effects (PPI on gut TRPM6, thiazide on DCT TRPM6,
insulin action, heparin on aldosterone synthesis) follow E through an effect compartment. The hooks multiply the
scenario's condition factors:

| class | effects |
|---|---|
| loop (furosemide, bumetanide, torsemide) | TAL Mg and Ca reabsorption down, natriuresis and distal Na delivery up |
| thiazide (HCTZ, chlorthalidone, indapamide, ...) | natriuresis and distal Na delivery up; DCT Ca reabsorption up; DCT Mg (TRPM6) down over days |
| beta_blocker (propranolol ... nebivolol) | beta-1: renin (aldosterone) down; beta-2 (the member's share): resting pump tone and beta-2 agonists blocked |
| beta2_agonist (albuterol/salbutamol, terbutaline), epinephrine | pump stimulation |
| insulin | pump stimulation (through an effect compartment) |
| ppi (the five) | transcellular gut Mg absorption down over days |
| mra (spironolactone, eplerenone, finerenone) | blocks aldosterone's action on distal secretion |
| acei, arb | aldosterone secretion down |
| enac (amiloride, triamterene, trimethoprim) | the voltage driving distal K secretion removed (secretion down in proportion), natriuresis up |
| digoxin | occupies Na/K-ATPases (competing with external K): pump capacity down |
| heparin, nsaid | aldosterone secretion down (heparin: zona glomerulosa synthesis, over days; NSAID: renin) |
| k_binder (patiromer, SZC, SPS, CPS) | binds K in the gut lumen: ECF K to stool (SZC, SPS: Na released in exchange) |

References
----------
Brater DC. N Engl J Med 1998;339:387 (loop diuretics). Ellison DH, Felker GM. N Engl J Med 2017 (diuretics).
Allon M et al. Ann Intern Med 1989;110:426 (albuterol, V19). Harel Z, Kamel KS. PLoS One 2016 (insulin, V18).
Struthers AD et al. Clin Sci 1983 (beta-blockade and adrenaline, V20). William JH et al. 2014 (PPI and TRPM6).
Schmidt TA et al. Br J Clin Pharmacol 1993 (digoxin occupancy of skeletal-muscle pumps). Oster JR et al. Am J Med
1995 (heparin). Veltassa, Lokelma and Kayexalate labels (gut K binding).
"""

from ..core import ModelBuilder

CLASSES = (
    "loop",
    "thiazide",
    "beta_blocker",
    "beta2_agonist",
    "epinephrine",
    "insulin",
    "ppi",
    "mra",
    "acei",
    "arb",
    "enac",
    "digoxin",
    "heparin",
    "nsaid",
    "k_binder",
)
UNITS = {"insulin": "U", "k_binder": "g", "heparin": "kU"}
SLOW = (
    "thiazide",
    "ppi",
    "insulin",
    "heparin",
    "digoxin",
)  # effects that follow occupancy through an effect compartment
LUMINAL = ("loop", "thiazide", "enac")  # act from the tubular lumen, reached by secretion that scales with nephrons
GUT_ONLY = ("k_binder",)  # not absorbed: the dose stays in the gut lumen until it passes to stool
MEMBER_INPUTS = ("ka", "F", "ke_nonrenal", "ke_renal")  # set by the scenario from the member's pharmacokinetics


def _pk(m: ModelBuilder, cls: str):
    unit = UNITS.get(cls, "mg")
    depot = m.state(f"{cls}_depot", unit, f"{cls}: oral dose not yet absorbed", role="control")
    central = m.state(f"{cls}_central", unit, f"{cls}: amount in the body", role="control")
    ka = m.input(f"{cls}_ka", "1/h", f"{cls}: absorption rate constant of the member given", 1.0)
    f = m.input(f"{cls}_F", "1", f"{cls}: oral bioavailability of the member given", 1.0)
    renal = m.input(f"{cls}_ke_renal", "1/h", f"{cls}: renal elimination rate constant at the reference GFR", 0.0)
    nonrenal = m.input(f"{cls}_ke_nonrenal", "1/h", f"{cls}: non-renal elimination rate constant", 1.0)
    ke = nonrenal + renal * m.sym("GFR") / m.param("gfr_ref", "L/h")
    infusion = m.input(f"{cls}_infusion", f"{unit}/h", f"{cls} infusion rate (class-equivalent)")
    oral = m.input(f"{cls}_oral", f"{unit}/h", f"{cls} taken by mouth as a steady rate (long histories)")
    m.rate(f"{cls}_depot", oral - ka * depot)
    m.rate(f"{cls}_central", f * ka * depot - ke * central + infusion)
    if cls in LUMINAL:
        # diuretics act from the tubular fluid: what reaches it scales with the nephrons that secrete it, so a
        # failing kidney needs larger doses and an anuric one none responds (Brater 1998)
        central = central * m.sym("GFR") / m.param("gfr_ref", "L/h")
    occupancy = m.var(f"{cls}_occupancy", central / (m.param(f"{cls}_EC50", unit) + central))
    if cls in SLOW:
        effect = m.state(f"{cls}_effect", "1", f"{cls}: effect-compartment occupancy", role="control")
        m.rate(f"{cls}_effect", (occupancy - effect) / m.param(f"{cls}_effect_delay", "h"))
        return occupancy, effect
    return occupancy, occupancy


def _k_binder(m: ModelBuilder) -> None:
    """A K binder is not absorbed: the dose in the gut lumen binds K (from the lumen, which the colon keeps supplied
    from the ECF) and leaves in stool at the member's transit rate; bound K scales with plasma K."""
    gut = m.state("k_binder_depot", "g", "K binder in the gut lumen (potency-equivalent g)", role="control")
    transit = m.input("k_binder_ka", "1/h", "K binder: rate at which it binds and passes to stool", 1.0)
    oral = m.input("k_binder_oral", "g/h", "K binder taken by mouth as a steady rate (long histories)")
    m.rate("k_binder_depot", oral - transit * gut)
    bound = m.param("k_binder_capacity", "mmol/g") * transit * gut * m.sym("K_o") / m.sym("K_o_ref")
    m.flux("K_binder", bound, "K_ecf", "K_faeces")
    na_per_k = m.input("k_binder_Na_per_K", "1", "K binder: Na released into the gut per K bound", 0.0)
    m.flux("Na_binder", na_per_k * m.sym("K_binder"), "Na_in", "Na_ecf")


def build(m: ModelBuilder) -> None:
    active = m.options.get("drug_classes", CLASSES)
    both = {}
    for cls in CLASSES:
        if cls not in active:
            both[cls] = (0, 0)
        elif cls in GUT_ONLY:
            _k_binder(m)
            both[cls] = (0, 0)
        else:
            both[cls] = _pk(m, cls)
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
    m.var("drug_aldosterone_action", 1 - p("mra_block", "1") * e["mra"])
    # an ENaC blocker removes the lumen-negative voltage that drives K out through whatever ROMK is open, so distal
    # secretion falls in proportion (Velazquez 1993: trimethoprim acts like amiloride)
    # an MRA also removes the ENaC that aldosterone keeps in the membrane - the same voltage (Pitt 1999: RALES +0.3)
    m.var(
        "drug_secretion_factor",
        (1 - p("enac_block", "1") * e["enac"]) * (1 - p("mra_enac_block", "1") * e["mra"]),
    )
    m.var(
        "drug_aldosterone_secretion",
        (1 - p("acei_aldosterone_block", "1") * e["acei"])
        * (1 - p("arb_aldosterone_block", "1") * e["arb"])
        * (1 - p("beta_blocker_renin_block", "1") * e["beta_blocker"])
        * (1 - p("heparin_aldosterone_block", "1") * slow["heparin"])
        * (1 - p("nsaid_aldosterone_block", "1") * e["nsaid"]),
    )

    # cells: beta-2 tone and agonists (a beta-blocker blocks beta-2 by its member's share), insulin, digoxin
    share = m.input("beta_blocker_beta2_share", "1", "beta-2 block of the beta-blocker given, relative to beta-1", 1.0)
    beta2_block = share * e["beta_blocker"]
    agonist = p("beta2_agonist_pump_gain", "1") * (1 - (1 - e["beta2_agonist"]) * (1 - e["epinephrine"]))
    # the beta-2 share of cell K uptake grows with plasma K (hyperkalaemia recruits sympathetic, beta-2 mediated
    # uptake: propranolol impairs the extrarenal disposal of a K load, Rosa 1980), so a blocker costs most when K is high
    t_ref, t_max = p("beta2_resting_tone", "1"), p("beta2_tone_max", "1")
    rise = t_ref / (t_max - t_ref) * (m.sym("K_o") / m.sym("K_o_ref")) ** p("beta2_tone_K_exponent", "1")
    tone = t_max * rise / (1 + rise)  # t_ref at the reference K, at most t_max
    m.var("drug_pump_beta2", (1 + agonist * (1 - beta2_block)) * (1 - tone * beta2_block))
    m.var("drug_pump_insulin", 1 + p("insulin_pump_gain", "1") * slow["insulin"])
    if "digoxin" in active:
        # digoxin binds the pump's extracellular face in competition with K: low plasma K lets more bind
        k_rel = m.sym("K_o") / m.sym("K_o_ref")
        ec50 = p("digoxin_EC50", "mg") * k_rel ** p("digoxin_K_competition", "1")
        # digoxin reaches its tissue binding over the 6-8 h distribution phase (the effect compartment: the body
        # amount it has equilibrated with), while serum reads the body amount over the full volume
        central = m.sym("digoxin_central")
        late = slow["digoxin"]  # occupancy the tissue has reached, as the body amount it corresponds to
        reached = p("digoxin_EC50", "mg") * late / (1 - late)
        m.var("drug_pump_inhibition", reached / (ec50 + reached))
        volume = p("digoxin_volume_per_kg", "L/kg") * m.sym("body_size")
        m.var("digoxin_serum", 1000 * central / volume)  # ng/mL
    else:
        m.var("drug_pump_inhibition", 0)

    # gut: PPIs inhibit transcellular Mg absorption (TRPM6/7)
    m.var("drug_gut_mg_factor", 1 - p("ppi_trpm6_block", "1") * slow["ppi"])
    m.var("ppi_trpm6_silencing", slow["ppi"])

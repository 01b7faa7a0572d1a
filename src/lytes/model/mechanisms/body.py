"""Compartment volumes, the states every mechanism shares, and the concentrations read from them.

ECF volume follows ECF sodium content (thirst and ADH hold serum Na near its set point within hours); cell volume is
fixed. For K the ECF has two pools: plasma with the well-perfused interstitium, and the muscle interstitium that the
cells exchange with, refilled at the muscle plasma flow (which falls during dialysis). Volumes and stores scale with
the body's lean size, not with fat: up to a reference weight for the patient's height (BMI 23; plus the gestational
gain in pregnancy) the size is the weight; above it each extra kilogram counts by the share of body water it brings
(Watson's equations: ~0.34 L/kg in men and ~0.25 L/kg in women against mean fractions of 0.60 and 0.50). Total body
water is the sex's fraction of that size, and pregnancy expands the ECF.

References
----------
Watson PE, Watson ID, Batt RD. Am J Clin Nutr 1980;33:27-39 (body water by sex, height and weight).
Fryar CD et al. Vital Health Stat 3 2021;(46) (mean adult height by sex, the default when none is given).
Institute of Medicine. Weight Gain During Pregnancy: Reexamining the Guidelines. 2009 (gestational gain).
Boron & Boulpaep, Medical Physiology, 3rd ed., ch. 5 (ECF one third, ICF two thirds of body water).
Schneditz D et al. Kidney Int 1992;42:1450 (regional blood flow and post-dialysis rebound).
"""

import sympy as sp

from ..core import ModelBuilder

IONS = ("K", "Na", "Mg", "Ca")


def build(m: ModelBuilder) -> None:
    given_weight = m.param("weight", "kg")
    male = m.param("male", "1")
    pregnant = m.param("pregnant", "1")
    # lean body size: weight above the reference for the height counts only by the body water it brings
    given_height = m.param("height", "m")
    height_given = m.param("height_given", "1")
    default_height = male * m.param("height_ref_male", "m") + (1 - male) * m.param("height_ref_female", "m")
    height = height_given * given_height + (1 - height_given) * default_height
    reference = m.param("body_size_BMI_ref", "kg/m^2") * height**2 + pregnant * m.param("pregnancy_weight_gain", "kg")
    excess_share = male * m.param("excess_weight_water_share_male", "1") + (1 - male) * m.param(
        "excess_weight_water_share_female", "1"
    )
    over = given_weight - reference
    weight = m.derive("body_size", given_weight - (1 - excess_share) * (over + sp.Abs(over)) / 2)
    tbw_frac = male * m.param("tbw_fraction_male", "1") + (1 - male) * m.param("tbw_fraction_female", "1")
    ecf_share = m.param("ecf_share_of_tbw", "1")
    preg_ecf = m.param("pregnancy_ecf_expansion", "1")
    v_ecf_ref = m.derive("V_ecf_ref", weight * tbw_frac * ecf_share * (1 + pregnant * preg_ecf))
    v_icf = m.derive("V_icf", weight * tbw_frac * (1 - ecf_share))

    # amount states shared by several mechanisms
    for ion in IONS:
        m.state(f"{ion}_in", "mmol", f"{ion} still to be taken in (minus cumulative intake)", ion, role="intake")
        m.state(f"{ion}_gut", "mmol", f"{ion} in the gut lumen", ion, role="lumen")
        m.state(f"{ion}_ecf", "mmol", f"{ion} in plasma and interstitial fluid", ion)
        m.state(f"{ion}_urine", "mmol", f"cumulative urinary {ion}", ion, role="urine")
        m.state(f"{ion}_faeces", "mmol", f"cumulative faecal {ion}", ion, role="faeces")
        m.state(f"{ion}_other", "mmol", f"cumulative {ion} removed by dialysis or other routes", ion, role="other")
    m.state("K_icf", "mmol", "K in cells", "K")
    m.state("Na_icf", "mmol", "Na in cells", "Na")
    m.state("Mg_im", "mmol", "Mg in an intramuscular injection depot", "Mg")
    m.flux("Mg_im_absorption", m.param("k_Mg_intramuscular", "1/h") * m.sym("Mg_im"), "Mg_im", "Mg_ecf")

    # kidney function: GFR relaxes towards a target (acute kidney injury and recovery)
    gfr_factor = m.state("gfr_factor", "1", "GFR relative to the patient's baseline", role="control")
    target = m.input("gfr_target", "1", "GFR the kidney is heading to, relative to baseline", 1.0)
    m.rate("gfr_factor", (target - gfr_factor) / m.input("gfr_tau", "h", "time constant of a GFR change", 1.0))
    m.var("GFR", m.param("gfr", "L/h") * gfr_factor)
    m.conserve("gfr_factor", {"gfr_factor": 1}, 1)  # a steady state is at the patient's own GFR

    # living cell mass (1 = intact); tissue breakdown lyses cells and releases their contents into the ECF
    cell_mass = m.state("cell_mass", "1", "living cell mass relative to baseline", role="control")
    muscle = m.input("lysis_muscle", "kg/h", "muscle mass lysed per hour (burns, sepsis, rhabdomyolysis)")
    lysis = m.var("lysis_rate", muscle * m.param("muscle_cell_water", "L/kg") / v_icf)  # fraction of cells per hour
    m.rate("cell_mass", -lysis)
    m.conserve("cell_mass", {"cell_mass": 1}, 1)  # a steady state starts with intact cells
    m.var("V_cells", v_icf * cell_mass)
    # ECF volume: water follows sodium (osmoregulation), relaxing to ECF Na / set point
    v_ecf = m.state("V_ecf", "L", "ECF volume", role="control")
    na_set = m.param("Na_o_ref", "mmol/L")
    tau_osm = m.param("tau_osmoregulation", "h")
    m.rate("V_ecf", (m.sym("Na_ecf") / na_set - v_ecf) / tau_osm)
    m.derive("Na_ecf_ref", na_set * v_ecf_ref)

    # concentrations
    # K in muscle interstitial fluid is a separate, perfusion-limited pool: the cells (mostly muscle) exchange K with
    # it, and it with plasma at the muscle plasma flow, which falls during a dialysis session (ultrafiltration
    # constricts muscle vessels) - so dialysis clears plasma faster than the muscle can refill it, and K rebounds
    # from the muscle afterwards (the regional blood flow model: Schneditz D et al. Kidney Int 1992;42:1450)
    share = m.param("muscle_isf_share", "1")
    m.state("K_isf", "mmol", "K in muscle interstitial fluid (perfusion-limited)", "K")
    k_o = m.var("K_o", m.sym("K_ecf") / (v_ecf * (1 - share)))
    k_m = m.var("K_o_muscle", m.sym("K_isf") / (v_ecf * share))
    clearing = m.input("dialysis_clearance", "L/h", "dialysance or effluent rate of kidney replacement therapy")
    fall = m.param("muscle_flow_fall_on_dialysis", "1") * clearing / (clearing + m.param("dialysis_flow_K", "L/h"))
    flow = m.param("muscle_plasma_flow_per_kg", "L/h/kg") * weight * (1 - fall)
    m.flux("K_muscle_perfusion", flow * (k_o - k_m), "K_ecf", "K_isf")
    m.var("Na_o", m.sym("Na_ecf") / v_ecf)
    m.var("K_i", m.sym("K_icf") / m.sym("V_cells"))
    m.var("Na_i", m.sym("Na_icf") / m.sym("V_cells"))
    mg_tot = m.var("Mg_tot", m.sym("Mg_ecf") / v_ecf)
    m.var("Mg_ion", m.param("Mg_ionized_fraction", "1") * mg_tot)
    m.var("Mg_uf", m.param("Mg_ultrafilterable_fraction", "1") * mg_tot)
    ca_tot = m.var("Ca_tot", m.sym("Ca_ecf") / v_ecf)
    m.var("Ca_ion", m.param("Ca_ionized_fraction", "1") * ca_tot)
    m.var("Ca_uf", m.param("Ca_ultrafilterable_fraction", "1") * ca_tot)
    m.derive("Mg_ion_ref", m.param("Mg_tot_ref", "mmol/L") * m.sym("Mg_ionized_fraction"))
    m.derive("Mg_uf_ref", m.sym("Mg_tot_ref") * m.sym("Mg_ultrafilterable_fraction"))
    m.derive("Ca_ion_ref", m.param("Ca_tot_ref", "mmol/L") * m.sym("Ca_ionized_fraction"))
    m.derive("Ca_uf_ref", m.sym("Ca_tot_ref") * m.sym("Ca_ultrafilterable_fraction"))

    # external (intravenous) infusions go straight into the ECF
    for ion in IONS:
        rate = m.input(f"iv_{ion}", "mmol/h", f"intravenous {ion} infusion rate")
        m.flux(f"{ion}_iv_infusion", rate, f"{ion}_in", f"{ion}_ecf")

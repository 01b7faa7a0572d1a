"""Renal potassium handling: filtration, proximal and loop reabsorption, and regulated distal secretion.

Urinary K = (1 - a_cd) (K_a/K_ref)^m * distal delivery of filtered K + net distal secretion (collecting-duct
reabsorption rises in K depletion: H+/K+-ATPase). Distal secretion (CNT/CCD) combines
an electrical driving force D (ENaC Na reabsorption: aldosterone and distal Na delivery) and an apical K
conductance G (ROMK: the block by cytosolic Mg, and external Mg) in series, scaled by plasma K (basolateral uptake):
S = S_ref * nephron * FF * (K/K_a)^n_acute (K_a/K_ref)^n * (1 + kappa) D G / (kappa D + G), so that releasing the Mg block of ROMK raises secretion
most when the driving force is high (Huang & Kuo 2007). FF is the gut feed-forward of absorbed K (Preston 2015; Oh KS et al. 2013), sensed with a lag of ~1 h.
Plasma K acts on secretion with an acute elasticity of ~10 (Preston's urinary K tracks serum K with a ratio of
~12 during an oral load) but a chronic one of ~3 (K intake changes move serum K little): K_a is the plasma K the
distal nephron has adapted to, following plasma K over about a day.

Nephron mass: in CKD each remaining nephron secretes more, per-nephron secretion ~ (GFR_0/GFR)^a with a ~ 0.9, but the
adaptation is finite (at most A_max-fold), so the kidney's secretory capacity is
N(x) = x (1 + 1/A_max) / (x^a + 1/A_max), x = GFR/GFR_0 (the patient's baseline GFR): N(1) = 1, N ~ x^(1-a) over CKD
stages 3-4, and N -> A_max x -> 0 as the kidney fails (anuria: no renal K excretion). Saturation (S_max) acts per
nephron, so aldosterone and plasma K cannot drive a few remaining nephrons beyond what each can secrete. The colon
takes over part of the capacity lost (gut.py).

ROMK block by the free Mg of the tubular cells (Mg_i,renal, which follows plasma Mg within hours; mg_exchange):
beta = (1 + (Mg_i,ref/K_romk)^n) / (1 + (Mg_i,renal/K_romk)^n). The open share of ROMK's outward (secretory) current
at the reference free Mg is 1/(1 + (Mg_i,ref/K_romk)^n); the fall of free Mg in deficiency releases it, and with the
conductance limiting secretion (kappa 3) IV Mg re-blocks it within hours.

References
----------
Huang CL, Kuo E. J Am Soc Nephrol 2007;18:2649-52. Yang L, Frindt G, Palmer LG. JASN 2010;21:2109.
Stadt MM, Leete J, Devinyak S, Layton AT. PLoS Comput Biol 2022;18:e1010607 (segment fractions, aldosterone exponents, feed-forward). Preston et al. 2015 (V08).
Rodan AR et al. 2011 (external Mg on ROMK). Weinstein 2022 (distal Na delivery and flow).
Bourgoignie JJ et al. Kidney Int 1981 and Gonick HC et al. 1971 (per-nephron K excretion rises in CKD); Caravaca-Fontan
F et al. Nefrologia 2020;40:152 (CKD 4-5, GFR ~15: urinary K per mL/min of GFR ~4 mmol/day, ~5x normal).
"""

from ..core import ModelBuilder
from ._common import per_nephron, softplus


def build(m: ModelBuilder) -> None:
    gfr, gfr_ref = m.sym("GFR"), m.param("gfr_ref", "L/h")
    k_o, k_o_ref = m.sym("K_o"), m.sym("K_o_ref")
    frac_prox = m.param("K_fraction_reabsorbed_proximal_loop", "1")
    a_cd = m.param("K_collecting_duct_reabsorption", "1")
    f_fec = m.sym("faecal_fraction_K")
    diet_ref = m.param("diet_K_ref", "mmol/h")

    filtered = m.var("K_filtered", gfr * k_o)
    delivered = filtered * (1 - frac_prox)
    s_ref = m.derive("K_secretion_ref", (1 - f_fec) * diet_ref - gfr_ref * k_o_ref * (1 - frac_prox) * (1 - a_cd))
    # chronic adaptation of the remaining nephrons follows the patient's baseline GFR; an acute fall (AKI) acts
    # through distal flow (distal_Na_delivery), which drops with the GFR
    x = m.sym("gfr") / gfr_ref  # nephron mass
    per_nephron_rise = per_nephron(x, m.param("K_nephron_adaptation", "1"), m.param("K_nephron_adaptation_max", "1"))
    m.var("K_renal_capacity", x * per_nephron_rise)

    # gut feed-forward: absorbed K relative to the reference diet's
    absorbed_ref = (1 - f_fec) * diet_ref
    signal = m.state(
        "K_gut_signal", "mmol/h", "splanchnic K signal: gut K absorption sensed with a lag", role="control"
    )
    m.rate("K_gut_signal", (m.sym("K_absorption") - signal) / m.param("tau_K_feedforward", "h"))
    ff = ((signal + 0.01 * absorbed_ref) / (1.01 * absorbed_ref)) ** m.param("K_feedforward_gain", "1")

    # driving force: aldosterone and distal Na delivery
    drive = (m.sym("drug_aldosterone_action") * m.sym("ALD") / m.sym("ALD_ref")) ** m.param(
        "K_secretion_aldosterone_exponent", "1"
    ) * m.sym("distal_Na_delivery") ** m.param("K_secretion_Na_delivery_exponent", "1")

    # apical conductance: plasma K, ROMK block by tubular-cell free Mg, external Mg
    k_romk, n_romk = m.param("ROMK_Mg_block_K", "mmol/L"), m.param("ROMK_Mg_block_hill", "1")
    beta = (1 + (m.sym("Mg_i_ref") / k_romk) ** n_romk) / (1 + (m.sym("Mg_i_renal") / k_romk) ** n_romk)
    k_ext, thr, width = m.param("ROMK_external_Mg_K", "mmol/L"), m.sym("high_Mg_threshold"), m.sym("high_Mg_width")
    ext = (1 + softplus(m.sym("Mg_tot_ref") - thr, width) / k_ext) / (
        1 + softplus(m.sym("Mg_tot") - thr, width) / k_ext
    )
    romk = m.var("romk_activity", beta * ext)
    # plasma K acts strongly on a change (acute) and weakly once the kidney has adapted (chronic)
    k_adapt = m.state("K_renal_setpoint", "mmol/L", "plasma K the distal nephron has adapted to", role="control")
    m.rate("K_renal_setpoint", (k_o - k_adapt) / m.param("tau_K_renal_adaptation", "h"))
    plasma_k = (k_o / k_adapt) ** m.param("K_secretion_acute_K_exponent", "1") * (k_adapt / k_o_ref) ** m.param(
        "K_secretion_plasma_K_exponent", "1"
    )

    kappa = m.param("K_secretion_series_kappa", "1")
    # flow-activated BK channels add conductance when distal delivery (flow) is high (Rodan 2011)
    conductance = romk * m.sym("distal_Na_delivery") ** m.param("K_secretion_flow_exponent", "1")
    unexplained = m.input(
        "K_secretion_factor", "1", "unexplained renal K wasting (>1) or retention (<1), from labs", 1.0
    )
    demand = (  # per nephron, relative to a healthy kidney's whole output
        unexplained
        * m.sym("drug_secretion_factor")
        * s_ref
        * per_nephron_rise
        * ff
        * plasma_k
        * (1 + kappa)
        * drive
        * conductance
        / (kappa * drive + conductance)
    )
    # each distal nephron's secretory capacity is finite: demand saturates smoothly at S_max (reference unchanged),
    # and the kidney secretes what its remaining nephrons (x) can: nothing at GFR 0
    s_max = m.param("K_secretion_max", "mmol/h")
    secretion = m.var("K_distal_secretion", x * demand / (1 + demand / s_max) * (1 + s_ref / s_max))
    # collecting-duct K reabsorption (H+/K+-ATPase) rises in K depletion and falls in K excess
    escaping = (1 - a_cd) * (k_adapt / k_o_ref) ** m.param("K_collecting_duct_adaptation_exponent", "1")
    m.flux("K_urinary", delivered * escaping + secretion, "K_ecf", "K_urine")

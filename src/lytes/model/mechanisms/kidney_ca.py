"""Renal calcium handling: filtration of ultrafilterable Ca, fixed proximal reabsorption, thick ascending limb
reabsorption inhibited through the Ca-sensing receptor by ionized Ca and Mg, and PTH-stimulated distal
reabsorption.

U_Ca = F (1 - f_PT) (1 - f_TAL) (1 - f_DCT), f_TAL = f_max,TAL / (1 + (x / x_half)^q) with x the CaSR signal
(Ca_ion + w Mg excess), f_DCT = f_max,DCT (b + (1 - b) P / (P + K)) with P the PTH action and b
the PTH-independent share. The distal fraction at the reference
state is calibrated so urine Ca equals net gut absorption of the reference diet.

References
----------
Boron & Boulpaep ch. 52 (PT 65 %, TAL 20-25 %, DCT 5-10 %). Riccardi D, Brown EM. Am J Physiol Renal 2010 (CaSR
in TAL: hypermagnesaemia raises Ca excretion). Cholst 1984. The per-nephron rise of FE_Ca in CKD is bounded
(``Ca_nephron_adaptation_max``) so that an anuric kidney excretes no Ca.
"""

from ..core import ModelBuilder
from ._common import per_nephron


def build(m: ModelBuilder) -> None:
    gfr, gfr_ref = m.sym("GFR"), m.sym("gfr_ref")
    f_pt = m.param("Ca_fraction_PT", "1")
    f_tal_ref, f_tal_max = m.param("Ca_fraction_TAL_ref", "1"), m.param("Ca_fraction_TAL_max", "1")
    q = m.param("Ca_TAL_CaSR_steepness", "1")
    f_dct_max = m.param("Ca_fraction_DCT_max", "1")
    w = m.sym("PTH_Mg_weight")

    u_ref = m.sym("Ca_net_absorption_ref")
    f_dct_ref = m.derive(
        "Ca_fraction_DCT_ref", 1 - u_ref / (gfr_ref * m.sym("Ca_uf_ref") * (1 - f_pt) * (1 - f_tal_ref))
    )
    # part of DCT Ca reabsorption (basal TRPV5) needs no PTH, so hypoparathyroid kidneys still reclaim Ca
    base = m.param("Ca_DCT_PTH_independent_share", "1")
    k_dct = m.derive("Ca_DCT_PTH_K", (1 - base) / (f_dct_ref / f_dct_max - base) - 1)
    x_half = m.derive("Ca_TAL_CaSR_half", m.sym("Ca_ion_ref") / (f_tal_max / f_tal_ref - 1) ** (1 / q))

    x = m.sym("Ca_ion") + w * (m.sym("Mg_ion") - m.sym("Mg_ion_ref"))
    casr = m.var("TAL_CaSR_open", 1 / (1 + (x / x_half) ** q))  # TAL paracellular transport left open by the CaSR
    tal = m.input("tal_Ca_factor", "1", "relative TAL Ca reabsorption (loop diuretic, Bartter)", 1.0)
    f_tal = tal * m.sym("drug_tal_factor") * f_tal_max * casr
    p = m.sym("PTH_action")
    dct = m.input("dct_Ca_factor", "1", "relative DCT Ca reabsorption (thiazide raises it)", 1.0)
    # a DCT factor above 1 (thiazide) lowers the fraction escaping reabsorption, so f_dct stays below 1
    escaping_dct = (1 - f_dct_max * (base + (1 - base) * p / (p + k_dct))) / (dct * m.sym("drug_dct_ca_factor"))
    filtered = m.var("Ca_filtered", gfr * m.sym("Ca_uf"))
    # fewer nephrons (chronic, baseline GFR) each reabsorb less, up to a bound (finite at GFR 0)
    nephron = per_nephron(
        m.sym("gfr") / gfr_ref, m.param("Ca_nephron_adaptation", "1"), m.param("Ca_nephron_adaptation_max", "1")
    )
    m.flux("Ca_urinary", nephron * filtered * (1 - f_pt) * (1 - f_tal) * escaping_dct, "Ca_ecf", "Ca_urine")

"""Renal magnesium handling: filtration of ultrafilterable Mg and reabsorption with a smooth transport maximum.

Reabsorption per litre of filtrate r(c) is the smaller root of theta r^2 - (c + T) r + c T = 0 (a non-rectangular
hyperbola): r ~ c at low c (FE_Mg < 2 % in extrarenal deficiency) and r -> T at high c (FE_Mg high in overload).
T is the sum of segment capacities: proximal tubule (passive), thick ascending limb (paracellular, claudin-16/19,
input ``tal_Mg_factor``: loop diuretics, Bartter) and distal convoluted tubule (TRPM6, input ``dct_Mg_factor``:
thiazides, Gitelman). T is calibrated so that urine Mg equals net gut absorption of the reference diet.

References
----------
Rude RK et al. J Clin Endocrinol Metab ~1980 (TmMg ~0.58 mmol/L filtrate). de Baaij 2015 (segment shares).
Tucker BM et al. JAMA 2020 (FE_Mg < 2 % extrarenal, > 4 % renal wasting).
"""

import sympy as sp

from ..core import ModelBuilder


def build(m: ModelBuilder) -> None:
    gfr, gfr_ref = m.sym("GFR"), m.sym("gfr_ref")
    c, c_ref = m.sym("Mg_uf"), m.sym("Mg_uf_ref")
    theta = m.param("Mg_Tm_splay", "1")
    w_pt, w_tal = m.param("Mg_Tm_share_PT", "1"), m.param("Mg_Tm_share_TAL", "1")
    w_dct = 1 - w_pt - w_tal

    # calibrate T: at the reference state urine Mg equals the net absorption of the reference diet
    r_ref = c_ref - m.sym("Mg_net_absorption_ref") / gfr_ref
    t_ref = m.derive("Mg_Tm", r_ref * (c_ref - theta * r_ref) / (c_ref - r_ref))

    tal = m.input("tal_Mg_factor", "1", "relative TAL Mg reabsorption capacity (loop diuretic, Bartter)", 1.0)
    dct = m.input("dct_Mg_factor", "1", "relative DCT (TRPM6) Mg reabsorption capacity (thiazide, Gitelman)", 1.0)
    tal = tal * m.sym("drug_tal_factor")
    dct = dct * m.sym("drug_dct_mg_factor") * m.sym("TRPM6")
    t = t_ref * (w_pt + w_tal * tal + w_dct * dct)
    reabsorbed = ((c + t) - sp.sqrt((c + t) ** 2 - 4 * theta * c * t)) / (2 * theta)
    m.var("Mg_filtered", gfr * c)
    m.flux("Mg_urinary", gfr * (c - reabsorbed), "Mg_ecf", "Mg_urine")

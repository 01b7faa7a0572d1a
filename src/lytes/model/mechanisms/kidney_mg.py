"""Renal magnesium handling, segment by segment.

- Proximal tubule: a fixed fraction of the filtered (ultrafilterable) Mg, passively.
- Thick ascending limb: paracellular (claudin-16/19), a fraction of the delivered load that the Ca-sensing receptor
  closes when ionized Ca or Mg rise (so overload is excreted) and that loop diuretics and Bartter syndrome lower
  (input ``tal_Mg_factor``).
- Distal convoluted tubule: transcellular through TRPM6, saturable - reabsorption r(c) is the smaller root of
  theta r^2 - (c + T) r + c T = 0 with c the Mg delivered per litre of filtrate and T its capacity: nearly all of a
  small delivery is taken up, the excess of a large one passes; a fixed share of the filtered Mg escapes whatever the
  TAL and TRPM6 do, so FE_Mg in extrarenal deficiency stays ~0.5-2 % and urine Mg ~0.3-1 mmol/day, not ~0 (Elisaf 1997). T is scaled
  by TRPM6 adaptation, thiazides and Gitelman syndrome (input ``dct_Mg_factor``), and calibrated so that urine Mg
  equals net gut absorption of the reference diet.

References
----------
de Baaij JHF et al. Physiol Rev 2015 (PT 10-25 %, TAL 50-70 %, DCT 5-10 %; DCT fine-tunes).
Rude RK et al. ~1980 (TmMg ~0.58 mmol/L filtrate). Tucker BM et al. JAMA 2020 (FE_Mg < 2 % extrarenal, > 4 % renal).
Riccardi & Brown 2010 (CaSR in the TAL). Elisaf M et al. Magnes Res 1997 (FE_Mg 0.5-2.7 %, median 1.4 %, in
extrarenal hypomagnesaemia).
"""

import sympy as sp

from ..core import ModelBuilder
from ._common import softplus


def build(m: ModelBuilder) -> None:
    gfr, gfr_ref = m.sym("GFR"), m.sym("gfr_ref")
    c, c_ref = m.sym("Mg_uf"), m.sym("Mg_uf_ref")
    theta = m.param("Mg_DCT_splay", "1")
    f_pt = m.param("Mg_fraction_PT", "1")
    f_tal_max = m.param("Mg_fraction_TAL_max", "1")

    tal = m.input("tal_Mg_factor", "1", "relative TAL Mg reabsorption (loop diuretic, Bartter)", 1.0)
    dct = m.input("dct_Mg_factor", "1", "relative DCT (TRPM6) Mg reabsorption capacity (thiazide, Gitelman)", 1.0)
    tal = tal * m.sym("drug_tal_factor")
    dct = dct * m.sym("drug_dct_mg_factor") * m.sym("TRPM6")

    # at the reference state the CaSR leaves TAL_CaSR_open = f_tal_ref / f_tal_max of the TAL open (kidney_ca)
    casr_ref = m.sym("Ca_fraction_TAL_ref") / m.sym("Ca_fraction_TAL_max")
    delivered_ref = c_ref * (1 - f_pt) * (1 - f_tal_max * casr_ref)
    # a share of the filtered Mg escapes whatever the TAL and TRPM6 do (the floor of FE_Mg in extrarenal deficiency)
    floor = m.param("Mg_FE_floor", "1")
    r_ref = delivered_ref - (m.sym("Mg_net_absorption_ref") / gfr_ref - floor * c_ref)
    t_ref = m.derive("Mg_DCT_capacity", r_ref * (delivered_ref - theta * r_ref) / (delivered_ref - r_ref))

    # the CaSR closes the TAL to Mg as ionized Mg rises, steeply above normal (Mg overload is excreted), and opens it
    # as Mg falls below normal, down to a floor (the TAL's extra reabsorption in deficiency): weight w_low far below,
    # a gain that fades over ~high_Mg_width just below normal, and w_high above normal (switched narrowly)
    excess = m.sym("Mg_ion") - m.sym("Mg_ion_ref")
    w_low, w_high = m.sym("PTH_Mg_weight"), m.param("Mg_TAL_CaSR_weight", "1")
    gain = m.param("Mg_TAL_CaSR_low_gain", "1")
    width, narrow = m.sym("high_Mg_width"), m.sym("PTH_Mg_switch_width")
    x = (
        m.sym("Ca_ion")
        + w_low * excess
        + gain * (softplus(excess, width) - softplus(0, width))
        + (w_high - w_low - gain) * (softplus(excess, narrow) - softplus(0, narrow))
    )
    casr = 1 / (1 + (x / m.sym("Ca_TAL_CaSR_half")) ** m.sym("Ca_TAL_CaSR_steepness"))
    delivered = m.var("Mg_DCT_delivery", c * (1 - f_pt) * (1 - tal * f_tal_max * casr))
    t = t_ref * dct
    reabsorbed = ((delivered + t) - sp.sqrt((delivered + t) ** 2 - 4 * theta * delivered * t)) / (2 * theta)
    m.var("Mg_filtered", gfr * c)
    m.flux("Mg_urinary", gfr * (delivered - reabsorbed + floor * c), "Mg_ecf", "Mg_urine")

"""Parathyroid hormone: secretion set by ionized Ca and Mg through the Ca-sensing receptor, failing in severe Mg
deficiency; PTH action is also blunted (end-organ resistance) in severe Mg deficiency.

Secretion (relative) = G(Mg) * [m + (1 - m) / (1 + (x/SP)^n)], x = Ca_ion + w max(0, Mg_ion - Mg_ion,ref) (smooth):
a steep inverse sigmoid of the CaSR signal, in which ionized Mg above normal counts a fraction w of Ca. G(Mg) =
Mg^h/(K^h + Mg^h) (h 8) keeps secretion at normal Mg and fails it between ~0.6 and ~0.3 mmol/L total Mg. dPTH/dt = k (PTH_ref * secretion_rel - PTH), half-life ~3 min.

References
----------
Cholst IN et al. N Engl J Med 1984;310:1221 (V06: PTH and ionized Ca fall on MgSO4).
Suh SM et al. J Clin Invest 1973;52:153 (PTH unmeasurable at Mg 0.25 mmol/L). Rude RK 1978 (PTH resistance).
Brown EM. J Clin Endocrinol Metab 1983 (steep PTH-Ca sigmoid, set point ~1.2 mmol/L).
"""

import math

from ..core import ModelBuilder
from ._common import hill, softplus


def _sigmoid(x, setpoint, n, floor):
    return floor + (1 - floor) / (1 + (x / setpoint) ** n)


def build(m: ModelBuilder) -> None:
    pth = m.state("PTH", "pg/mL", "plasma intact PTH", role="control")
    pth_ref = m.param("PTH_ref", "pg/mL")
    mg_tot, mg_ref = m.sym("Mg_tot"), m.sym("Mg_tot_ref")
    w = m.param("PTH_Mg_weight", "1")
    sp_, n, floor = m.param("PTH_setpoint", "mmol/L"), m.param("PTH_steepness", "1"), m.param("PTH_floor", "1")
    k_sec, h = m.param("PTH_Mg_secretion_K", "mmol/L"), m.param("PTH_Mg_hill", "1")
    k_act, h_act = m.param("PTH_Mg_action_K", "mmol/L"), m.param("PTH_Mg_action_hill", "1")

    # only ionized Mg above normal acts on the parathyroid CaSR (Cholst 1984); below normal low Mg does not stimulate
    # PTH as low Ca would - there the failing secretion G(Mg) rules (Fatemi 1991: PTH fell or stayed in 20 of 26)
    width = m.param("PTH_Mg_switch_width", "mmol/L")
    excess = m.sym("Mg_ion") - m.sym("Mg_ion_ref")
    x = m.sym("Ca_ion") + w * (softplus(excess, width) - softplus(0, width))
    x_ref = m.sym("Ca_ion_ref")
    secretion = (hill(mg_tot, k_sec, h) / hill(mg_ref, k_sec, h)) * (
        _sigmoid(x, sp_, n, floor) / _sigmoid(x_ref, sp_, n, floor)
    )
    k = math.log(2) / m.param("PTH_half_life", "h")
    m.rate("PTH", k * (pth_ref * secretion - pth))
    m.var("PTH_action", pth / pth_ref * hill(mg_tot, k_act, h_act) / hill(mg_ref, k_act, h_act))

"""Aldosterone secretion driven by plasma K and by ECF volume (renin-angiotensin), with a first-order lag.

Target level rises exponentially with plasma K (Maddah & Hallow's fit, as used by Stadt & Layton) and falls
steeply when ECF sodium content (volume) is above its reference. ``aldosterone_factor`` (scenario input, 1 = none)
stands for primary hyperaldosteronism, ACE inhibition or spironolactone in later issues.

References
----------
Stadt MM, Leete J, Devinyak S, Layton AT. PLoS Comput Biol 2022;18:e1010607 (exponential K dependence of aldosterone).
Williams GH. Heart Fail Rev 2005 (aldosterone up to ~1000-2000 pg/mL in severe volume depletion).
"""

import sympy as sp

from ..core import ModelBuilder
from ._common import soft_cap


def build(m: ModelBuilder) -> None:
    ald = m.state("ALD", "ng/L", "plasma aldosterone", role="control")
    ald_ref = m.param("ALD_ref", "ng/L")
    m_k = m.param("aldosterone_K_sensitivity", "L/mmol")
    n_vol = m.param("aldosterone_volume_exponent", "1")
    tau = m.param("tau_aldosterone", "h")
    factor = m.input("aldosterone_factor", "1", "multiplier on aldosterone secretion", 1.0)
    k_o, k_ref = m.sym("K_o"), m.param("K_o_ref", "mmol/L")
    volume = m.sym("Na_ecf") / m.sym("Na_ecf_ref")
    raw = factor * m.sym("drug_aldosterone_secretion") * sp.exp(m_k * (k_o - k_ref)) * volume ** (-n_vol)
    # the zona glomerulosa's output is finite: the exponential K (and volume) drive saturates smoothly at ~20x the
    # reference, so severe hyperkalaemia does not ask for a hundredfold aldosterone
    most = m.param("aldosterone_max_fold", "1")
    target = ald_ref * soft_cap(raw, most)
    m.rate("ALD", (target - ald) / tau)

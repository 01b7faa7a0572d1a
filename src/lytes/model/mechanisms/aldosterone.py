"""Aldosterone secretion driven by plasma K and by ECF volume (renin-angiotensin), with a first-order lag.

Target level rises exponentially with plasma K (Maddah & Hallow's fit, as used by Stadt & Layton) and falls
steeply when ECF sodium content (volume) is above its reference. ``aldosterone_factor`` (scenario input, 1 = none)
stands for primary hyperaldosteronism, ACE inhibition or spironolactone in later issues.

References
----------
Stadt MM, Layton AT. PLoS Comput Biol 2022 and mstadt/KReg (2023): exponential K dependence of aldosterone.
"""

import sympy as sp

from ..core import ModelBuilder


def build(m: ModelBuilder) -> None:
    ald = m.state("ALD", "ng/L", "plasma aldosterone", role="control")
    ald_ref = m.param("ALD_ref", "ng/L")
    m_k = m.param("aldosterone_K_sensitivity", "L/mmol")
    n_vol = m.param("aldosterone_volume_exponent", "1")
    tau = m.param("tau_aldosterone", "h")
    factor = m.input("aldosterone_factor", "1", "multiplier on aldosterone secretion", 1.0)
    k_o, k_ref = m.sym("K_o"), m.param("K_o_ref", "mmol/L")
    volume = m.sym("Na_ecf") / m.sym("Na_ecf_ref")
    target = factor * m.sym("drug_aldosterone_secretion") * ald_ref * sp.exp(m_k * (k_o - k_ref)) * volume ** (-n_vol)
    m.rate("ALD", (target - ald) / tau)

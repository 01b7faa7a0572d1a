"""Calcium exchange with bone: a fast exchangeable pool whose equilibrium ionized Ca is raised by PTH action, and a
slow (remodelling) pool.

Flux bone -> ECF = k (Ca_eq - Ca_ion), Ca_eq = Ca_ion,ref (1 + beta ln(PTH action)) (pool / pool_ref), so ionized
Ca relaxes towards a PTH-set level in ~3 h (the ionized-Ca nadir 3 h into MgSO4, Cholst 1984).

References
----------
Cholst 1984 (V06). Peacock M. Clin J Am Soc Nephrol 2010;5:S23 (exchangeable Ca, bone fluxes).
"""

import math

import sympy as sp

from ..core import ModelBuilder


def build(m: ModelBuilder) -> None:
    weight = m.sym("weight")
    fast = m.state("Ca_bone_fast", "mmol", "rapidly exchangeable bone Ca", "Ca")
    slow = m.state("Ca_bone_slow", "mmol", "bone mineral Ca (remodelling pool)", "Ca")
    fast_ref = m.derive("Ca_bone_fast_ref", m.param("Ca_fast_pool_per_kg", "mmol/kg") * weight)
    slow_ref = m.derive("Ca_bone_slow_ref", m.param("Ca_bone_per_kg", "mmol/kg") * weight - fast_ref)
    beta = m.param("Ca_bone_PTH_gain", "1")
    tau = m.param("tau_Ca_bone", "h")
    # k chosen so ionized Ca relaxes with time constant tau: d(Ca_ion)/dt = f_ion k (Ca_eq - Ca_ion) / V
    k = m.derive("k_Ca_bone", m.sym("V_ecf_ref") / (m.sym("Ca_ionized_fraction") * tau))
    ca_eq = m.sym("Ca_ion_ref") * (1 + beta * sp.log(m.sym("PTH_action"))) * fast / fast_ref
    m.flux("Ca_bone_release", k * (ca_eq - m.sym("Ca_ion")), "Ca_bone_fast", "Ca_ecf")
    k_slow = m.derive("k_Ca_bone_slow", slow_ref * math.log(2) / m.param("Ca_bone_slow_half_time", "h"))
    m.flux("Ca_bone_accretion", k_slow * (fast / fast_ref - slow / slow_ref), "Ca_bone_fast", "Ca_bone_slow")

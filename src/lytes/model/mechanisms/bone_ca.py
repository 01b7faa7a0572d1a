"""Calcium exchange with bone: a fast exchangeable pool whose equilibrium ionized Ca is raised by PTH action, and a
slow (remodelling) pool.

Flux bone -> ECF = k (Ca_eq - Ca_ion), Ca_eq = Ca_ion,ref f(PTH action) (pool / pool_ref), so ionized Ca relaxes
towards a PTH-set level in ~3 h (the ionized-Ca nadir 3 h into MgSO4, Cholst 1984). f is a bounded sigmoid,
f(P) = floor + (1 - floor) P^n (1 + K^n) / (P^n + K^n), with slope beta at P = 1 and the floor of untreated
hypoparathyroidism as P -> 0, so hypocalcaemia deepens gradually as PTH fails in severe Mg deficiency.

References
----------
Cholst 1984 (V06). Shoback D. N Engl J Med 2008;359:391 (hypoparathyroidism). Peacock M. Clin J Am Soc Nephrol 2010;5:S23 (exchangeable Ca, bone fluxes).
"""

import math

from ..core import ModelBuilder


def build(m: ModelBuilder) -> None:
    weight = m.sym("body_size")
    fast = m.state("Ca_bone_fast", "mmol", "rapidly exchangeable bone Ca", "Ca")
    slow = m.state("Ca_bone_slow", "mmol", "bone mineral Ca (remodelling pool)", "Ca")
    fast_ref = m.derive("Ca_bone_fast_ref", m.param("Ca_fast_pool_per_kg", "mmol/kg") * weight)
    slow_ref = m.derive("Ca_bone_slow_ref", m.param("Ca_bone_per_kg", "mmol/kg") * weight - fast_ref)
    beta = m.param("Ca_bone_PTH_gain", "1")
    tau = m.param("tau_Ca_bone", "h")
    # k chosen so ionized Ca relaxes with time constant tau: d(Ca_ion)/dt = f_ion k (Ca_eq - Ca_ion) / V
    k = m.derive("k_Ca_bone", m.sym("V_ecf_ref") / (m.sym("Ca_ionized_fraction") * tau))
    # bone-equilibrium ionized Ca rises with PTH action as a bounded sigmoid: slope beta at the reference, and a floor
    # without PTH (untreated hypoparathyroidism keeps ionized Ca near 0.8-0.9 mmol/L, not at zero)
    floor, n = m.param("Ca_bone_PTH_free_floor", "1"), m.param("Ca_bone_PTH_hill", "1")
    share = beta / ((1 - floor) * n)  # K^n / (1 + K^n) that gives slope beta at PTH action 1
    k_n = m.derive("Ca_bone_PTH_K_pow", share / (1 - share))
    p_n = m.sym("PTH_action") ** n
    ca_eq = m.sym("Ca_ion_ref") * (floor + (1 - floor) * p_n * (1 + k_n) / (p_n + k_n)) * fast / fast_ref
    m.flux("Ca_bone_release", k * (ca_eq - m.sym("Ca_ion")), "Ca_bone_fast", "Ca_ecf")
    k_slow = m.derive("k_Ca_bone_slow", slow_ref * math.log(2) / m.param("Ca_bone_slow_half_time", "h"))
    m.flux("Ca_bone_accretion", k_slow * (fast / fast_ref - slow / slow_ref), "Ca_bone_fast", "Ca_bone_slow")

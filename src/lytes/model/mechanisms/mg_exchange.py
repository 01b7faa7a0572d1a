"""Magnesium exchange between the ECF, cells and bone; cytosolic free Mg from cell Mg.

Pools (70 kg reference): ECF ~12 mmol; cells ~380 mmol (muscle and soft tissue): a fast pool (~25 %) that sets
cytosolic free Mg and follows plasma within a day, and a bound pool that follows free Mg over weeks (the fast and
slow ICF pools of 28Mg kinetics); a fast exchangeable pool (bone surface and binding sites: apparent volume ~7 L and
exchange clearance ~5 L/h in 70 kg, fitted with the TAL's CaSR weight to MgSO4 cohorts - a 4-6 g load doubles serum Mg
at 30 min, 6 g + 2 g/h gives ~2.0 mmol/L at 4 h, clearance 4.3-5.0 L/h); slow bone Mg (~580 mmol): taken up with a
half-time of ~1000 h, released far more slowly. Pools scale with the body's lean size (body.py).
Each exchange is linear: J = k (C - C_ref * pool / pool_ref), so pools sit in proportion to plasma Mg at steady
state. Cytosolic free Mg = Mg_i,ref * (cell Mg / cell Mg_ref)^p (buffered: free Mg falls more than total).

References
----------
Avioli LV, Berman M. J Appl Physiol 1966;21:1688 (28Mg kinetics, ~1000 h slow pool).
Chuan FS et al. Clin Pharmacokinet 2002;41:1105 (V01); Okusanya BO et al. BJOG 2016;123:356 (V02: review of 17
regimens); Tudela CM et al. Obstet Gynecol 2013;121:314 (V29); Brookfield KF et al. Obstet Gynecol 2020;136:1190 (V28).
de Baaij JHF et al. Physiol Rev 2015;95:1-46 (distribution of body Mg).
Ryschon TW et al. J Lab Clin Med 1996 and Rude 1989 (free Mg ~0.5 mM; falls ~18 % in hypomagnesaemia).
"""

import math

import sympy as sp

from ..core import ModelBuilder
from ._common import softplus


def build(m: ModelBuilder) -> None:
    weight = m.sym("body_size")
    mg_tot, mg_uf = m.sym("Mg_tot"), m.sym("Mg_uf")
    mg_ref, uf_ref = m.sym("Mg_tot_ref"), m.sym("Mg_uf_ref")
    body_mg = m.param("body_Mg_per_kg", "mmol/kg") * weight

    slow_cell = m.state("Mg_cell", "mmol", "Mg in cells, slowly exchanging (mostly bound)", "Mg")
    cell = m.state("Mg_cell_fast", "mmol", "Mg in cells, fast-exchanging pool that sets cytosolic free Mg", "Mg")
    fast = m.state("Mg_bone_fast", "mmol", "fast exchangeable Mg (bone surface, binding sites)", "Mg")
    slow = m.state("Mg_bone_slow", "mmol", "slowly exchanging bone Mg", "Mg")

    cells_ref = body_mg * m.param("Mg_cell_share", "1")
    fast_share = m.param("Mg_cell_fast_share", "1")
    cell_ref = m.derive("Mg_cell_fast_ref", cells_ref * fast_share)
    slow_cell_ref = m.derive("Mg_cell_slow_ref", cells_ref * (1 - fast_share))
    bone_fast_ref = m.derive("Mg_bone_fast_ref", m.param("Mg_fast_pool_volume_per_kg", "L/kg") * weight * mg_ref)
    slow_ref = m.derive("Mg_bone_slow_ref", body_mg * m.param("Mg_bone_share", "1") - bone_fast_ref)

    p_buf = m.param("Mg_cell_buffer_exponent", "1")
    mg_i_ref = m.sym("Mg_i_ref")
    cell_mass = m.sym("cell_mass")
    mg_i = m.var("Mg_i", mg_i_ref * (cell / (cell_ref * cell_mass)) ** p_buf)
    # cytosolic free Mg follows plasma Mg within a day (fast pool) and drags the bound pool over weeks
    k_cell = m.derive("k_Mg_cell", cell_ref * math.log(2) / (p_buf * uf_ref * m.param("Mg_cell_half_time", "h")))
    # cells defend free Mg against hypermagnesaemia (Na+/Mg2+ exchange): uptake saturates above normal plasma Mg
    alpha, width = m.param("Mg_cell_uptake_saturation", "1"), m.param("Mg_cell_uptake_saturation_width", "1")
    # below normal, uptake falls less than in proportion (cells hold free Mg partly: RBC free Mg -21 % for serum -24 %)
    q = m.param("Mg_cell_uptake_exponent", "1")
    relative = mg_uf / uf_ref
    below = relative - softplus(relative - 1, width) + softplus(0, width)  # smooth min(relative, 1)
    influx = (
        uf_ref
        * relative
        * below ** (q - 1)
        / (1 + alpha * softplus(relative - 1, width))
        * (1 + alpha * softplus(0, width))
    )
    m.flux("Mg_cell_uptake", k_cell * cell_mass * (influx - uf_ref * mg_i / mg_i_ref), "Mg_ecf", "Mg_cell_fast")
    # renal tubular cells (DCT/CNT: apical TRPM6, basolateral exchange) hold little Mg and reach the free Mg that this
    # plasma level sets within minutes to hours; their free Mg is what blocks ROMK (kidney_k)
    m.var("Mg_i_renal", mg_i_ref * influx / uf_ref)
    k_bound = m.derive("k_Mg_cell_bound", slow_cell_ref * math.log(2) / m.param("Mg_cell_bound_half_time", "h"))
    relative_slow = m.var("Mg_cell_bound_relative", slow_cell / (slow_cell_ref * cell_mass))
    # bound cell Mg (muscle) follows free Mg only partly: it stays near normal in months of dietary depletion
    s_bound = m.param("Mg_cell_bound_exponent", "1")
    bound_target = (mg_i / mg_i_ref) ** s_bound
    m.flux("Mg_cell_binding", k_bound * cell_mass * (bound_target - relative_slow), "Mg_cell_fast", "Mg_cell")
    lysis = m.sym("lysis_rate") / cell_mass
    m.flux("Mg_cell_lysis", lysis * cell, "Mg_cell_fast", "Mg_ecf")
    m.flux("Mg_cell_bound_lysis", lysis * slow_cell, "Mg_cell", "Mg_ecf")

    q_fast = m.param("Mg_fast_pool_clearance_per_kg", "L/h/kg") * weight
    m.flux("Mg_fast_pool_uptake", q_fast * (mg_tot - mg_ref * fast / bone_fast_ref), "Mg_ecf", "Mg_bone_fast")
    # bone mineral takes Mg up readily when the surface is loaded (28Mg exchange, ~1000 h) but gives it up slowly:
    # in months of a Mg-free diet serum Mg falls to a third while body Mg falls ~10 % (Shils; Aikawa)
    k_in = m.derive("k_Mg_bone_uptake", slow_ref * math.log(2) / m.param("Mg_bone_uptake_half_time", "h"))
    k_out = m.derive("k_Mg_bone_release", slow_ref * math.log(2) / m.param("Mg_bone_release_half_time", "h"))
    gap = fast / bone_fast_ref - slow / slow_ref
    loading = 1 / (1 + sp.exp(-gap / m.param("Mg_bone_exchange_switch_width", "1")))
    m.flux("Mg_bone_accretion", (k_out + (k_in - k_out) * loading) * gap, "Mg_bone_fast", "Mg_bone_slow")

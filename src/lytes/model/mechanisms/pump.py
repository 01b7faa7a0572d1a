"""The Na+/K+-ATPase (3 Na out, 2 K in) and the passive K, Na and Cl currents of cells.

Pump flux (K moved in) = Jmax * capacity * Ko/(Ko + Km_K) * Nai^h/(Nai^h + Km_Na^h), where capacity is the product of
pump content (adapts over weeks to plasma K, muscle Mg and aldosterone), the Mg-ATP factor of cytosolic free Mg (small:
substrate saturation only), and the stimulation by
insulin and beta-2 agonists, and inhibition by high extracellular Mg and by digoxin. Passive currents use chord
conductances: I_K = gK (Ko/Ko_ref)^0.5 (Em - EK), I_Na = gNa (Em - ENa), I_Cl = gCl (Em - ECl), and the membrane
potential is where the net current (passive plus the pump's one charge out per cycle) is zero, so the cations a cell
gains equal the Cl it gains. Cl is passively distributed (E_Cl = Em at rest): when plasma K falls and the cells
hyperpolarize, Cl leaves with part of the K they lose, so lost K is not all replaced by Na (Cooke 1952) and the cell Na
that would speed the pump and hold plasma K down rises less - the cells buffer K as patients' do.

The cells face the K of the muscle interstitial fluid (Ko here), a perfusion-limited pool that plasma refills at the
muscle plasma flow (body.py). The resting flux is calibrated to ~600 mmol/h (Stadt's 98 mmol/min is ~10x faster than
measured K turnover; Stadt et al. PLoS Comput Biol 2022, scaled by us); tracer K equilibrates in about a day.

References
----------
Stadt MM, Leete J, Devinyak S, Layton AT. PLoS Comput Biol 2022;18:e1010607 (pump-leak form); Luo & Rudy 1994 (Km convention for Ko and Nai); Apell 2017 Biochemistry and
J Enzyme Inhib Med Chem 2004 (Mg-ATP substrate, free-ATP inhibition); Dorup 1987 Magnesium (pump content and K in
Mg/K depletion); Clausen 1998 Physiol Rev (pump content adapts to K status). Cooke RE et al. J Clin Invest 1952;31:798
(cell K lost is replaced by ~2 Na and 1 H per 3 K); Bretag AH Physiol Rev 1987;67:618 (Cl conductance of muscle).
"""

import sympy as sp

from ..core import ModelBuilder
from ._common import hill, soft_cap, softplus


def _mg_atp_factor(mg_i, atp, kd, km, ki):
    """Pump rate from Mg-ATP (substrate) and free ATP (inhibitor) at cytosolic free Mg ``mg_i``."""
    mg_atp = atp * mg_i / (kd + mg_i)
    free_atp = atp - mg_atp
    return mg_atp / (km + mg_atp) / (1 + free_atp / ki)


def build(m: ModelBuilder) -> None:
    # cells face the K of the muscle interstitial fluid (body: perfusion-limited pool, ~plasma K at rest)
    k_o, k_i, na_o, na_i = (m.sym(n) for n in ("K_o_muscle", "K_i", "Na_o", "Na_i"))
    weight = m.sym("body_size")
    rt_f = m.param("RT_over_F", "mV")
    km_k = m.param("pump_Km_Ko", "mmol/L")
    km_na = m.param("pump_Km_Nai", "mmol/L")
    k_o_ref, k_i_ref = m.sym("K_o_ref"), m.param("K_i_ref", "mmol/L")
    na_o_ref, na_i_ref = m.sym("Na_o_ref"), m.param("Na_i_ref", "mmol/L")
    em_ref = m.param("Em_ref", "mV")
    j_ref = m.derive("J_pump_ref", m.param("pump_flux_per_kg", "mmol/h/kg") * weight)

    # Mg-ATP dependence relative to the reference cytosolic free Mg
    atp, kd = m.param("ATP_cell", "mmol/L"), m.param("Kd_MgATP", "mmol/L")
    km_mgatp, ki_atp = m.param("pump_Km_MgATP", "mmol/L"), m.param("pump_Ki_free_ATP", "mmol/L")
    mg_i_ref = m.param("Mg_i_ref", "mmol/L")
    f_mg_ref = m.derive("pump_MgATP_ref", _mg_atp_factor(mg_i_ref, atp, kd, km_mgatp, ki_atp))
    f_mg = m.var("pump_Mg_factor", _mg_atp_factor(m.sym("Mg_i"), atp, kd, km_mgatp, ki_atp) / f_mg_ref)

    # hormones and drugs
    ald_rel = m.sym("ALD") / m.sym("ALD_ref")
    rho_ald = 1 + m.param("pump_aldosterone_slope", "1") * (ald_rel - 1)  # genomic: acts through pump content
    rho_ins = m.input("pump_insulin", "1", "pump stimulation by insulin (1 = fasting basal)", 1.0)
    rho_b2 = m.input("pump_beta2", "1", "pump stimulation by beta-2 agonism (1 = resting)", 1.0)
    rho_ins = rho_ins * m.sym("drug_pump_insulin")
    rho_b2 = rho_b2 * m.sym("drug_pump_beta2")
    # high extracellular Mg inhibits the pump (empirical, needed for the K rise on MgSO4 in pre-eclampsia, Acta Nephrologica 2010)
    alpha, thr = m.param("pump_high_Mg_inhibition", "L/mmol"), m.param("high_Mg_threshold", "mmol/L")
    width = m.param("high_Mg_width", "mmol/L")
    excess = softplus(m.sym("Mg_tot") - thr, width)
    excess_ref = softplus(m.sym("Mg_tot_ref") - thr, width)
    rho_mg_o = (1 + alpha * excess_ref) / (1 + alpha * excess)

    # pump content adapts over days to plasma K (fewer pumps in K depletion) and to muscle Mg (fewer in Mg
    # depletion; Dorup 1987, 1993): muscle Mg is the slow bound cell pool, so pumps return over weeks of Mg
    # repletion and K alone cannot rebuild them while Mg is deficient
    n_pump = m.state("N_pump", "1", "Na/K-ATPase content relative to healthy", role="control")
    mg_content = m.sym("Mg_cell_bound_relative") ** m.param("pump_content_Mg_exponent", "1")
    # up-regulation is bounded: K loading and aldosterone raise muscle pump content by tens of per cent, not
    # several-fold (Clausen 1998), so the rise saturates smoothly at pump_content_max
    raw = (k_o / k_o_ref) ** m.param("pump_content_K_exponent", "1") * mg_content * rho_ald
    most = m.param("pump_content_max", "1")
    target = soft_cap(raw, most)
    m.rate("N_pump", (target - n_pump) / m.param("tau_pump_content", "h"))

    # cardiac glycosides (digoxin) occupy pumps and take them out of action
    inhibition = m.sym("drug_pump_inhibition")
    capacity = m.var("pump_capacity", n_pump * f_mg * rho_ins * rho_b2 * rho_mg_o * (1 - inhibition))
    h_na = m.param("pump_Nai_hill", "1")
    sat_ref = k_o_ref / (k_o_ref + km_k) * hill(na_i_ref, km_na, h_na)
    jmax = m.derive("pump_Jmax", j_ref / sat_ref)
    na_sat = hill(na_i, km_na, h_na)
    cell_mass = m.sym("cell_mass")
    j_pump = m.var("J_pump", jmax * cell_mass * capacity * k_o / (k_o + km_k) * na_sat)

    # chord conductances calibrated so that the reference state is at rest
    e_k_ref = rt_f * sp.log(k_o_ref / k_i_ref)
    e_na_ref = rt_f * sp.log(na_o_ref / na_i_ref)
    g_k = m.derive("g_K", j_ref / (em_ref - e_k_ref))
    g_na = m.derive("g_Na", 1.5 * j_ref / (e_na_ref - em_ref))
    # inward-rectifier K conductance rises with the square root of external K (Hille, Ion Channels, ch. 5)
    g_k = g_k * cell_mass * (k_o / k_o_ref) ** m.param("gK_Ko_exponent", "1")
    g_na = g_na * cell_mass
    e_k = m.var("E_K", rt_f * sp.log(k_o / k_i))
    e_na = m.var("E_Na", rt_f * sp.log(na_o / na_i))
    # chloride is passively distributed across the cell membrane (at rest E_Cl = Em): when the cells hyperpolarize
    # (low plasma K) Cl leaves with the K they lose, so lost cell K is not all replaced by Na (Cooke 1952: ~2 Na per
    # 3 K) and the pump is not driven by the cell Na a 1:1 exchange would bring. ECF Cl is taken as constant.
    cl_o = m.param("Cl_o_ref", "mmol/L")
    cl_i_ref = m.derive("Cl_i_ref", cl_o * sp.exp(em_ref / rt_f))
    cl_icf = m.state("Cl_icf", "mmol", "Cl in cells (distributed by the membrane potential)", role="control")
    e_cl = m.var("E_Cl", rt_f * sp.log(cl_icf / m.sym("V_cells") / cl_o))
    g_cl = m.derive("g_Cl", m.param("gCl_to_gK_ratio", "1") * m.sym("g_K")) * cell_mass
    em = m.var("Em", (g_k * e_k + g_na * e_na + g_cl * e_cl - j_pump / 2) / (g_k + g_na + g_cl))
    # excitability: how far the resting potential sits below the firing threshold, which extracellular Ca raises
    # (divalent cations screen the membrane's surface charge) - high K narrows the margin, calcium widens it again
    threshold = m.param("threshold_potential_ref", "mV") + m.param("threshold_Ca_slope", "mV") * sp.log(
        m.sym("Ca_ion") / m.sym("Ca_ion_ref")
    )
    m.var("excitability_margin", threshold - em)

    m.flux("K_pump_uptake", j_pump, "K_isf", "K_icf")
    m.flux("K_leak", g_k * (em - e_k), "K_icf", "K_isf")
    m.flux("Na_pump_extrusion", 1.5 * j_pump, "Na_icf", "Na_ecf")
    m.flux("Na_leak", g_na * (e_na - em), "Na_ecf", "Na_icf")
    # cells keep their charge: K + Na - Cl = (K_i,ref + Na_i,ref - Cl_i,ref) x living cell volume
    content = (k_i_ref + na_i_ref - cl_i_ref) * m.sym("V_icf")
    m.conserve("Na_icf", {"K_icf": 1, "Na_icf": 1, "Cl_icf": -1, "cell_mass": -content}, 0)

    # tissue breakdown releases the lysed cells' K and Na (their Mg in mg_exchange)
    lysis = m.sym("lysis_rate") / cell_mass
    m.flux("K_cell_lysis", lysis * m.sym("K_icf"), "K_icf", "K_ecf")
    m.flux("Na_cell_lysis", lysis * m.sym("Na_icf"), "Na_icf", "Na_ecf")
    # Cl moves with the membrane potential (uptake g_Cl (Em - E_Cl)); lysed cells' Cl joins the ECF's (not tracked)
    m.rate("Cl_icf", g_cl * (em - e_cl) - lysis * cl_icf)

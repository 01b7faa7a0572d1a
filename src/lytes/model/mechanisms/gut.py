"""Intestinal absorption of K, Na, Mg and Ca from the gut lumen, faecal loss, and endogenous secretion.

Diet enters the stomach at the rate given by the scenario (``diet_<ion>``, mmol/h) and oral doses land there at
once; gastric emptying passes them to the intestinal lumen. Potassium and sodium are absorbed first-order with a fixed faecal fraction. Magnesium is absorbed by a
saturable transcellular route (TRPM6/7) plus a linear paracellular route, so the absorbed fraction falls as intake
rises (Fine 1991); a proton-pump inhibitor acts on the saturable route (input ``gut_mg_transport``). Calcium
absorption rises with PTH action (through calcitriol; modelled as an instant factor).

References
----------
Fine KD et al. J Clin Invest 1991;88:396-402 (Mg absorption curve).
Hayes CP Jr et al. Trans Assoc Am Physicians 1967;80:207-16 (faecal K rises to ~3x normal in chronic renal failure);
Sandle GI et al. Gut 1986;27:999-1003 (colonic K secretion up in chronic renal failure); Mathialahan T et al.
J Pathol 2005;206:46-51 (colonic BK channels up ~3x in end-stage renal disease).
Preston RR et al. Kidney Int 2015;88:1383-91 (timing of oral KCl absorption).
"""

import sympy as sp

from ..core import ModelBuilder


def _first_order(m: ModelBuilder, ion: str) -> None:
    k_abs = m.param(f"k_absorption_{ion}", "1/h")
    f_fec = m.param(f"faecal_fraction_{ion}", "1")
    k_fec = m.derive(f"k_faecal_{ion}", k_abs * f_fec / (1 - f_fec))
    gut = m.sym(f"{ion}_gut")
    m.flux(f"{ion}_absorption", k_abs * gut, f"{ion}_gut", f"{ion}_ecf")
    m.flux(f"{ion}_faecal", k_fec * gut, f"{ion}_gut", f"{ion}_faeces")


def build(m: ModelBuilder) -> None:
    # gastrointestinal losses (diarrhoea, vomiting): mmol/h at the reference plasma concentration
    concentration = {"K": ("K_o", "K_o_ref"), "Na": ("Na_o", "Na_o_ref"), "Mg": ("Mg_uf", "Mg_uf_ref")}
    for ion, (c, c_ref) in concentration.items():
        loss = m.input(f"gi_loss_{ion}", "mmol/h", f"gastrointestinal {ion} loss at reference plasma level")
        m.flux(f"{ion}_gi_loss", loss * m.sym(c) / m.sym(c_ref), f"{ion}_ecf", f"{ion}_faeces")

    k_ge = m.param("k_gastric_emptying", "1/h")
    for ion in ("K", "Na", "Mg", "Ca"):
        m.state(f"{ion}_stomach", "mmol", f"{ion} in the stomach", ion, role="lumen")
        diet = m.input(f"diet_{ion}", "mmol/h", f"dietary {ion} entering the stomach")
        m.flux(f"{ion}_diet", diet, f"{ion}_in", f"{ion}_stomach")
        m.flux(f"{ion}_gastric_emptying", k_ge * m.sym(f"{ion}_stomach"), f"{ion}_stomach", f"{ion}_gut")
    _first_order(m, "K")
    _first_order(m, "Na")
    # colonic K secretion (BK channels) rises as the kidney fails: the colon takes over a share of the renal K
    # secretory capacity lost (K_renal_capacity, kidney_k), driven by plasma K; none in a healthy kidney
    lost = 1 - m.sym("K_renal_capacity")
    lost = (lost + sp.Abs(lost)) / 2  # a kidney above its reference (pregnancy) leaves the colon at rest
    colon = m.param("K_colonic_secretion_max", "mmol/h")
    m.flux("K_colonic_secretion", colon * lost * m.sym("K_o") / m.sym("K_o_ref"), "K_ecf", "K_faeces")

    # --- magnesium: saturable transcellular + linear paracellular absorption, transit loss, endogenous secretion
    mg_gut = m.sym("Mg_gut")
    vmax = m.param("Mg_gut_vmax", "mmol/h")
    km = m.param("Mg_gut_km", "mmol")
    k_para = m.param("k_Mg_paracellular", "1/h")
    k_tr = m.param("k_gut_transit", "1/h")
    trpm6 = m.input("gut_mg_transport", "1", "relative capacity of transcellular gut Mg absorption", 1.0)
    # a PPI silences TRPM6 itself (luminal pH), so the deficiency's up-regulation cannot make up for it
    ppi = m.sym("ppi_trpm6_silencing")
    trpm6 = trpm6 * m.sym("drug_gut_mg_factor") * (1 + (m.sym("TRPM6") - 1) * (1 - ppi))
    mg_factor = m.input("Mg_absorption_factor", "1", "unexplained change of gut Mg absorption, from labs", 1.0)
    m.flux("Mg_absorption_transcellular", mg_factor * trpm6 * vmax * mg_gut / (km + mg_gut), "Mg_gut", "Mg_ecf")
    m.flux("Mg_absorption_paracellular", mg_factor * k_para * mg_gut, "Mg_gut", "Mg_ecf")
    m.flux("Mg_faecal", k_tr * mg_gut, "Mg_gut", "Mg_faeces")
    # endogenous faecal Mg: secreted into the gut and not reclaimed (the isotope-measured obligatory loss), falling
    # with serum UF Mg (less than in proportion); it keeps the balance negative on a Mg-free diet (Shils 1969; Fatemi 1991)
    endo_mg = m.param("Mg_endogenous_faecal_ref", "mmol/h")
    relative = m.sym("Mg_uf") / m.sym("Mg_uf_ref")
    endo_exp = m.param("Mg_endogenous_faecal_exponent", "1")
    m.flux("Mg_endogenous_loss", endo_mg * relative**endo_exp, "Mg_ecf", "Mg_faeces")

    # net Mg absorption of the reference diet (solves the lumen's steady state): used to calibrate the kidney
    intake = m.param("diet_Mg_ref", "mmol/h")
    lin = k_para + k_tr
    b = lin * km + vmax - intake
    lumen_ref = (-b + sp.sqrt(b**2 + 4 * lin * intake * km)) / (2 * lin)
    m.derive("Mg_net_absorption_ref", intake - k_tr * lumen_ref - endo_mg)

    # --- calcium: absorption scaled by PTH action (calcitriol), transit loss, endogenous secretion
    ca_gut = m.sym("Ca_gut")
    k_tr_ca = m.param("k_gut_transit_Ca", "1/h")
    fa_ca = m.param("Ca_fractional_absorption_ref", "1")
    k_abs_ca = m.derive("k_absorption_Ca", k_tr_ca * fa_ca / (1 - fa_ca))
    vitd = m.param("Ca_absorption_pth_exponent", "1")
    ca_factor = m.input("Ca_absorption_factor", "1", "unexplained change of gut Ca absorption, from labs", 1.0)
    # part of Ca absorption is paracellular and needs no calcitriol, so it persists when PTH fails
    passive = m.param("Ca_absorption_passive_share", "1")
    active = passive + (1 - passive) * m.sym("PTH_action") ** vitd
    m.flux("Ca_absorption", ca_factor * k_abs_ca * active * ca_gut, "Ca_gut", "Ca_ecf")
    m.flux("Ca_faecal", k_tr_ca * ca_gut, "Ca_gut", "Ca_faeces")
    endo_ca = m.param("Ca_endogenous_faecal_ref", "mmol/h")
    k_endo_ca = m.derive("k_Ca_endogenous", endo_ca / m.sym("Ca_uf_ref"))
    m.flux("Ca_endogenous_secretion", k_endo_ca * m.sym("Ca_uf"), "Ca_ecf", "Ca_gut")
    m.derive("Ca_net_absorption_ref", fa_ca * (m.param("diet_Ca_ref", "mmol/h") + endo_ca) - endo_ca)

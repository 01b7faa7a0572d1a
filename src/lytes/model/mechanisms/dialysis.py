"""Kidney replacement therapy: haemodialysis, CRRT and peritoneal dialysis remove or add solute by diffusion against
the dialysate or replacement fluid, J = K_D (C_diffusible - C_fluid), and remove the ECF gained between sessions by
ultrafiltration (convection at plasma concentrations).

K_D is the dialysance (haemodialysis: ~0.7 x blood flow, 150-250 mL/min for K), the effluent rate (CRRT, small
solutes fully saturated) or the daily drained volume times the dwell's equilibration (peritoneal dialysis; the
schedule's arithmetic is in ``scenario/dialysis.py``). The diffusible fractions are those of plasma: all K and Na,
ultrafilterable Mg and Ca.

Ultrafiltration takes the ECF back towards the patient's dry weight (the reference ECF volume): Q_UF = k_UF x
softplus(V_ecf - V_ecf,ref), removing every ion at its diffusible plasma concentration (isotonic). Between sessions an
anuric patient's ECF expands with the Na eaten (the interdialytic weight gain); the session takes it off.

References
----------
Daugirdas JT, Blake PG, Ing TS. Handbook of Dialysis, 5th ed. (dialysance and blood flow; ultrafiltration to dry
weight). Twardowski ZJ et al. Perit Dial Bull 1987;7:138 (peritoneal equilibration: D/P K ~0.6-0.7 at 4 h).
"""

from ..core import ModelBuilder
from ._common import softplus

DIFFUSIBLE = {"K": "K_o", "Na": "Na_o", "Mg": "Mg_uf", "Ca": "Ca_uf"}


def build(m: ModelBuilder) -> None:
    clearance = m.input("dialysis_clearance", "L/h", "dialysance or effluent rate of kidney replacement therapy")
    k_uf = m.input("ultrafiltration_rate_constant", "1/h", "ultrafiltration of the ECF above dry weight, per hour")
    excess = softplus(m.sym("V_ecf") - m.sym("V_ecf_ref"), m.param("ultrafiltration_width", "L"))
    q_uf = m.var("ultrafiltration_rate", k_uf * excess)
    # the ultrafiltrate is plasma water as well as the solute it carries: the ECF shrinks with it (isotonic)
    m.rate("V_ecf", m.rates["V_ecf"] - q_uf)
    for ion, plasma in DIFFUSIBLE.items():
        fluid = m.input(f"dialysate_{ion}", "mmol/L", f"{ion} in dialysate or replacement fluid")
        m.flux(f"{ion}_dialysis", clearance * (m.sym(plasma) - fluid), f"{ion}_ecf", f"{ion}_other")
        m.flux(f"{ion}_ultrafiltration", q_uf * m.sym(plasma), f"{ion}_ecf", f"{ion}_other")

"""Kidney replacement therapy: intermittent haemodialysis and continuous therapy (CRRT) remove or add solute by
diffusion/convection against the dialysate or replacement fluid: J = K_D (C_diffusible - C_fluid).

K_D is the dialysance (haemodialysis: ~0.7 x blood flow, 150-250 mL/min for K) or the effluent rate (CRRT, small
solutes fully saturated). The diffusible fractions are those of plasma: all K and Na, ultrafilterable Mg and Ca.

References
----------
PHYSIOLOGY.md 6 (dialysate K 1-4, Mg 0.25-0.75 mmol/L; removal is concentration-driven).
Daugirdas JT, Handbook of Dialysis, 5th ed. (dialysance and blood flow).
"""

from ..core import ModelBuilder

DIFFUSIBLE = {"K": "K_o", "Na": "Na_o", "Mg": "Mg_uf", "Ca": "Ca_uf"}


def build(m: ModelBuilder) -> None:
    clearance = m.input("dialysis_clearance", "L/h", "dialysance or effluent rate of kidney replacement therapy")
    for ion, plasma in DIFFUSIBLE.items():
        fluid = m.input(f"dialysate_{ion}", "mmol/L", f"{ion} in dialysate or replacement fluid")
        m.flux(f"{ion}_dialysis", clearance * (m.sym(plasma) - fluid), f"{ion}_ecf", f"{ion}_other")

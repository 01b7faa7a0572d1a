"""Renal sodium handling: filtered Na with a fractional excretion that rises steeply with ECF Na content.

The kidney defends ECF volume (here: ECF Na content) by pressure natriuresis and the renin-aldosterone axis; the
net result is modelled as FE_Na = FE_ref * A(GFR/GFR_ref) * (Na_ecf/Na_ecf,ref)^n, with the per-nephron rise
A ~ (GFR_ref/GFR)^a in CKD, bounded (at most ``Na_nephron_adaptation_max``-fold) so that an anuric kidney (GFR 0)
excretes nothing rather than dividing by zero. Distal Na delivery, which drives
distal K secretion, rises with ECF volume and with the ``distal_Na_delivery_factor`` input (diuretics).

References
----------
Guyton AC. Science 1991;252:1813 (pressure natriuresis). Boron & Boulpaep ch. 40 (FE_Na ~0.5-1 %).
Slatopolsky E et al. J Clin Invest 1968;47:521 (FE_Na rises to ~10-30 % in advanced CKD on a usual Na intake).
"""

from ..core import ModelBuilder
from ._common import per_nephron


def build(m: ModelBuilder) -> None:
    gfr, gfr_ref = m.sym("GFR"), m.sym("gfr_ref")
    volume = m.sym("Na_ecf") / m.sym("Na_ecf_ref")
    diet_ref = m.param("diet_Na_ref", "mmol/h")
    fe_ref = m.derive("FE_Na_ref", (1 - m.sym("faecal_fraction_Na")) * diet_ref / (gfr_ref * m.sym("Na_o_ref")))
    adaptation = per_nephron(
        m.sym("gfr") / gfr_ref, m.param("Na_nephron_adaptation", "1"), m.param("Na_nephron_adaptation_max", "1")
    )
    # a diuretic adds the same share of the filtered load as in a healthy kidney (Brater 1998: the response per
    # nephron is kept in CKD once the drug reaches its site), not a multiple of the remaining nephrons' adaptation
    fe = m.var(
        "FE_Na_fraction",
        fe_ref
        * (adaptation + m.sym("drug_natriuresis_factor") - 1)
        * volume ** m.param("natriuresis_volume_exponent", "1")
        * m.input("natriuresis_factor", "1", "multiplier on Na excretion (conditions)", 1.0),
    )
    m.var("Na_filtered", gfr * m.sym("Na_o"))
    m.flux("Na_urinary", fe * m.sym("Na_filtered"), "Na_ecf", "Na_urine")
    factor = m.input("distal_Na_delivery_factor", "1", "multiplier on distal Na delivery (conditions)", 1.0)
    factor = factor * m.sym("drug_distal_na_factor")
    # distal delivery (and flow) falls with an acute fall of GFR (gfr_factor; 1 in chronic states)
    m.var("distal_Na_delivery", factor * m.sym("gfr_factor") * volume ** m.param("distal_Na_volume_exponent", "1"))

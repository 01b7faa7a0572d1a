"""TRPM6 adaptation: magnesium deficiency up-regulates the transcellular Mg channel TRPM6 in gut and distal
convoluted tubule over days (and excess down-regulates it), so chronic losses are partly compensated.

State ``TRPM6`` (1 = healthy) relaxes to (Mg_ref / Mg)^n, bounded by the smooth form below, with a time constant of
days; it multiplies the gut's transcellular absorption capacity and the DCT share of renal Mg reabsorption.

References
----------
Groenestege WM et al. J Am Soc Nephrol 2006 (dietary Mg regulates TRPM6 expression).
van Angelen AA et al. 2015 (chronic furosemide: serum Mg kept by TRPM6 up-regulation). Up-regulation x1.5-2 is a modelling choice (Groenestege 2006).
"""

from ..core import ModelBuilder


def build(m: ModelBuilder) -> None:
    trpm6 = m.state("TRPM6", "1", "TRPM6 expression relative to healthy (gut and DCT)", role="control")
    n = m.param("TRPM6_Mg_exponent", "1")
    top = m.param("TRPM6_max", "1")
    signal = (m.sym("Mg_tot_ref") / m.sym("Mg_tot")) ** n
    target = top * signal / (top - 1 + signal)  # 1 at the reference, saturating at TRPM6_max
    m.rate("TRPM6", (target - trpm6) / m.param("tau_TRPM6", "h"))

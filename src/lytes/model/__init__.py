"""The physiology, written once: states, parameters, and each mechanism's fluxes as sympy expressions.

Engines (scipy now; SBML and JAX later) are generated from :func:`build`, never from a second hand-written copy.
"""

from __future__ import annotations

import functools

PATIENT_PARAMETERS = {
    "weight": ("kg", "body weight"),
    "male": ("1", "1 for male, 0 for female"),
    "pregnant": ("1", "1 if pregnant"),
    "gfr": ("L/h", "glomerular filtration rate"),
    "height": ("m", "height (0 when not given)"),
    "height_given": ("1", "1 if the height was given, 0 to use the sex's mean adult height"),
}


@functools.lru_cache(maxsize=8)
def build(drug_classes: tuple[str, ...] | None = None):
    """Assemble the model from its mechanism modules (sympy is imported here, not at package import).

    ``drug_classes`` limits the drug pharmacokinetic states to the classes a scenario uses (None: all of them), so a
    scenario without drugs integrates a smaller system; the physiology is the same.
    """
    from .core import ModelBuilder
    from .mechanisms import MECHANISMS
    from .parameters import table

    m = ModelBuilder()
    if drug_classes is not None:
        m.options["drug_classes"] = tuple(drug_classes)
    for mechanism in MECHANISMS:
        mechanism.build(m)
    rows = table()
    for name in m.params:
        if name not in rows and name not in PATIENT_PARAMETERS:
            raise ValueError(f"parameter {name!r} is used by the model but missing from parameters.csv")
    unused = set(rows) - set(m.params)
    if unused and drug_classes is None:
        raise ValueError(f"parameters.csv lists parameters no mechanism uses: {sorted(unused)}")
    return m

"""lytes: a virtual patient for magnesium-potassium-sodium-calcium balance.

For education, research and decision support; not an autonomous prescriber.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["simulate", "assess", "__version__"]


def assess(labs, **options):
    """Read labs ({"K": "2.9 mmol/L", "Mg": "1.1 mg/dL", ...}) into findings; see lytes.reading.assess."""
    from .reading import assess as _assess

    return _assess(labs, **options)


def simulate(scenario, **options):
    """Run a scenario (a Scenario object, a YAML path or a built-in name) and return a Result."""
    from .simulation import simulate as _simulate

    return _simulate(scenario, **options)

"""lytes: a virtual patient for magnesium-potassium-sodium-calcium balance.

For education, research and decision support; not an autonomous prescriber.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["simulate", "__version__"]


def simulate(scenario, **options):
    """Run a scenario (a Scenario object, a YAML path or a built-in name) and return a Result."""
    from .simulation import simulate as _simulate

    return _simulate(scenario, **options)

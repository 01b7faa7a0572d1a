"""lytes: a virtual patient for magnesium-potassium-sodium-calcium balance.

For education, research and decision support; not an autonomous prescriber.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["simulate", "population", "assess", "findings", "__version__"]


def assess(labs, **options):
    """Read labs ({"K": "2.9 mmol/L", "Mg": "1.1 mg/dL", ...}) into findings; see lytes.reading.assess."""
    from .reading import assess as _assess

    return _assess(labs, **options)


def simulate(scenario, **options):
    """Run a scenario (a Scenario object, a YAML path or a built-in name) and return a Result."""
    from .simulation import simulate as _simulate

    return _simulate(scenario, **options)


def population(spec, **options):
    """Simulate a virtual population (a spec: YAML path, built-in name or dict) and return a Population: percentile
    bands and target attainment per arm and subgroup; see lytes.population.population."""
    from .population import population as _population

    return _population(spec, **options)


def findings(run, **options):
    """The worst severity of each finding code over a run (a list; for a Comparison, a list per arm), with the time
    it is first reached; see lytes.reading.worst_findings."""
    from .reading import worst_findings

    return worst_findings(run, **options)

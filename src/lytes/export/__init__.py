"""Exchange: one run of a scenario as SBML (Level 3 Version 2) or Antimony, from the same model definition as the
engines, so that libroadrunner, tellurium, COPASI and other SBML tools reproduce lytes' run.

The export runs the scenario once through lytes (the steady state or the labs' fitted state, any history), and
writes the model with that run's initial state, parameters and inputs; the regimen's segments become events (input
changes, and jumps for oral and IM doses). A scenario with arms exports one arm (the first unless named).

SBML is written with python-libsbml (``pip install "lytes[sbml]"``); Antimony text is written directly and needs
nothing beyond lytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

FORMATS = ("sbml", "antimony")
SUFFIXES = {"sbml": (".xml", ".sbml"), "antimony": (".ant", ".antimony", ".txt")}


@dataclass
class Exported:
    """One arm of a scenario, ready to write: the model data, lytes' own result of the run, and its grid."""

    model: object  # lytes.export.model.ModelData
    result: object  # lytes.result.Result of the exported arm (lytes' own engine)
    arm: str | None
    time_h: np.ndarray
    segments: list
    run: tuple = ()  # (compiled model, parameter vector, state at t = 0, segments, output times) of the arm

    def sbml(self) -> str:
        from .sbml import to_sbml

        return to_sbml(self.model)

    def antimony(self) -> str:
        from .antimony import to_antimony

        return to_antimony(self.model)

    def text(self, fmt: str) -> str:
        return self.sbml() if fmt == "sbml" else self.antimony()


def _model_id(name: str) -> str:
    ident = re.sub(r"\W+", "_", name.lower()).strip("_")[:60] or "scenario"
    return f"lytes_{ident}"


def prepare(scenario, arm: str | None = None, every: float | None = None, parameters=None) -> Exported:
    """Run ``scenario`` (a built-in name, YAML path, dict or Scenario) through lytes and describe the exported arm."""
    from .. import __version__
    from ..engine.codegen import model_fingerprint
    from ..engine.scipy_engine import integrate
    from ..result import NOTICE
    from ..scenario import load
    from ..simulation import simulate
    from .model import describe

    sc = load(scenario)
    arms = list(sc.arms or {})
    if arm is not None and arm not in arms:
        allowed = f"one of the scenario's arms ({', '.join(arms)})" if arms else "nothing: the scenario has no arms"
        raise InputError("arm", arm, allowed)
    runs = []

    def recording(c, p, y0, segments, t):
        runs.append((c, p, y0, segments, t))
        return integrate(c, p, y0, segments, t)

    result = simulate(sc, every=every, parameters=parameters, engine=recording)
    if len(runs) != max(1, len(arms)):
        raise RuntimeError(f"expected one run per arm, recorded {len(runs)}")
    chosen = arm if arm is not None else (arms[0] if arms else None)
    k = arms.index(chosen) if arms else 0
    c, p, y0, segments, t = runs[k]
    own = result.arms[chosen] if arms else result
    notes = [
        f"{sc.name}" + (f" [arm {chosen}]" if chosen else "") + f": exported by lytes {__version__} (model "
        f"{model_fingerprint()}). {NOTICE}",
        f"Simulate from t = 0 to {t[-1]:g} h (lytes reports every {t[1] - t[0]:g} h). Time is in hours, amounts in "
        "mmol; every species is an amount (hasOnlySubstanceUnits) in a nominal 1 L compartment.",
        "The initial state is lytes' computed state at t = 0 for this scenario (steady state on its diet and "
        "conditions, the labs' fitted state, or the end of its history). Inputs hold their t = 0 values; events at "
        "the regimen's segment boundaries set them and add the oral and IM doses to the states they land in.",
        "At the instant of a dose lytes reports the state just before it (a lab drawn before the dose); SBML tools "
        "report the moment after. Events at t = 0 fire at the start: begin the simulation at t = 0.",
        "Not exported: the steady-state and labs solvers and any history (only the state they give at t = 0), "
        "the other arms, mass-balance accounting and the clinical reading of the run.",
    ]
    md = describe(c, p, y0, segments, model_id=_model_id(sc.name), name=sc.name, notes=notes)
    shown = ", ".join(series if oid == series else f"{series} (as {oid})" for series, oid in md.outputs.items())
    md.notes.insert(4, f"lytes result series, by the same names: {shown}.")
    return Exported(md, own, chosen, t, segments, runs[k])


def require(fmt: str) -> None:
    """Refuse, in one line that says how to install it, a format whose library is missing (SBML: python-libsbml)."""
    if fmt == "sbml":
        try:
            import libsbml  # noqa: F401
        except ImportError:
            raise InputError("format", fmt, "", 'needs python-libsbml: pip install "lytes[sbml]"') from None


def export(scenario, fmt: str = "sbml", arm: str | None = None) -> str:
    """The SBML or Antimony text of ``scenario`` (one arm: the first unless ``arm`` names one)."""
    if fmt not in FORMATS:
        raise InputError("format", fmt, " or ".join(FORMATS))
    require(fmt)
    return prepare(scenario, arm).text(fmt)

"""The roadrunner engine: libroadrunner (LLVM-compiled SBML, CVODE) on the model's SBML export, driven segment by
segment exactly like the scipy engine (``simulate(..., engine="roadrunner")``, ``lytes run --engine roadrunner``).

The SBML of the model variant (the same one ``lytes export sbml`` writes, without a scenario's events) is compiled
once per process; each run sets the parameter vector, the inputs of each segment and the state (with the segment's
dose jumps) and integrates to the segment's end. It takes and returns what :func:`scipy_engine.integrate` does, so
the results, mass balance and reading are lytes' own. Needs ``pip install "lytes[sbml]"``.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .codegen import Compiled
from .scipy_engine import IntegrationError, Segment

INSTALL = 'needs libroadrunner and python-libsbml: pip install "lytes[sbml]"'

try:
    import roadrunner
except ImportError:  # pragma: no cover - depends on the environment
    raise InputError("engine", "roadrunner", "", INSTALL) from None
try:
    import libsbml  # noqa: F401 - the SBML writer needs it
except ImportError:  # pragma: no cover
    raise InputError("engine", "roadrunner", "", INSTALL) from None


class _Runner:
    """A compiled RoadRunner for one model variant, and where each lytes vector goes in it."""

    def __init__(self, c: Compiled, p: np.ndarray, y0: np.ndarray):
        from ..export.model import describe
        from ..export.sbml import to_sbml

        data = describe(
            c, p, y0, (), model_id="lytes_engine", name="lytes engine", outputs=False, derived_as_assignments=False
        )
        options = roadrunner.LoadSBMLOptions()  # every run sets its values: no mutable initial conditions (~2x faster)
        options.modelGeneratorOpt &= ~roadrunner.LoadSBMLOptions.MUTABLE_INITIAL_CONDITIONS
        self.rr = roadrunner.RoadRunner(to_sbml(data), options)
        model = self.rr.model
        globals_ = {name: i for i, name in enumerate(model.getGlobalParameterIds())}
        species = {name: i for i, name in enumerate(model.getFloatingSpeciesIds())}
        layout = c.layout
        in_sbml = [k for k, name in enumerate(layout.params) if name in globals_]
        self.param_rows = np.array(in_sbml, dtype=int)
        self.param_slots = [globals_[layout.params[k]] for k in in_sbml]
        self.input_slots = [globals_[name] for name in layout.inputs]
        self.species_rows = np.array([i for i, s in enumerate(layout.states) if s in species], dtype=int)
        self.species_slots = [species[layout.states[i]] for i in self.species_rows]
        self.rule_rows = np.array([i for i, s in enumerate(layout.states) if s not in species], dtype=int)
        self.rule_slots = [globals_[layout.states[i]] for i in self.rule_rows]
        n = model.getNumFloatingSpecies() + model.getNumRateRules()
        self.state_ids = [model.getStateVectorId(k) for k in range(n)]
        self.state_rows = np.array([layout.states.index(s) for s in self.state_ids], dtype=int)
        self.rr.timeCourseSelections = list(layout.states)

    def set_state(self, y: np.ndarray) -> None:
        model = self.rr.model
        model.setFloatingSpeciesAmounts(self.species_slots, y[self.species_rows].tolist())
        if len(self.rule_slots):
            model.setGlobalParameterValues(self.rule_slots, y[self.rule_rows].tolist())


_RUNNERS: dict = {}  # Layout -> _Runner: one compiled model per variant and process


def _runner(c: Compiled, p: np.ndarray, y0: np.ndarray) -> _Runner:
    if c.layout not in _RUNNERS:
        _RUNNERS[c.layout] = _Runner(c, p, y0)
    return _RUNNERS[c.layout]


def integrate(
    c: Compiled,
    p: np.ndarray,
    y0: np.ndarray,
    segments: list[Segment],
    t_eval: np.ndarray,
    rtol: float = 1e-8,
    atol_scale: float = 1e-8,
    check_stores: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate through the segments with libroadrunner; the same contract as ``scipy_engine.integrate``.

    The tolerances are tighter than the scipy engine's (CVODE with an LLVM-compiled right-hand side stays faster
    at them): states agree with a tolerance-converged run to ~1e-5 against the scipy engine's ~5e-4 (near-zero
    drug amounts included), so the two engines agree within the scipy engine's own error."""
    run = _runner(c, p, y0)
    rr, model = run.rr, run.rr.model
    model.setGlobalParameterValues(run.param_slots, np.asarray(p, dtype=float)[run.param_rows].tolist())
    integrator = rr.integrator
    integrator.relative_tolerance = rtol
    atol = np.maximum(np.abs(y0), 1.0) * atol_scale
    integrator.absolute_tolerance = atol[run.state_rows].tolist()
    integrator.maximum_num_steps = 100000
    y = np.asarray(y0, dtype=float).copy()
    Y = np.empty((c.n, len(t_eval)))
    U = np.empty((len(c.layout.inputs), len(t_eval)))
    filled = 0
    for k, seg in enumerate(segments):
        before = y.copy()
        for index, amount in seg.jumps:
            y[index] += amount
        last = k == len(segments) - 1
        mask = (t_eval >= seg.t0) & ((t_eval <= seg.t1) if last else (t_eval < seg.t1))
        inside = t_eval[mask]
        if seg.t1 > seg.t0:
            eps = 1e-9 * max(1.0, seg.t1)
            interior = inside[(inside > seg.t0 + eps) & (inside < seg.t1 - eps)]
            times = np.concatenate(([seg.t0], interior, [seg.t1]))
            model.setGlobalParameterValues(run.input_slots, seg.u.tolist())
            run.set_state(y)
            try:
                sol = np.asarray(rr.simulate(times=times.tolist()))
            except RuntimeError:
                sol = None
            if sol is None or not np.all(np.isfinite(sol)):
                raise IntegrationError(
                    f"the simulated patient left the range the model can follow between t = {seg.t0:.4g} h and "
                    f"{seg.t1:.4g} h; the regimen is far outside clinical practice (lower the doses or rates given by then)"
                )
            rows = []
            for t in inside:
                if t <= seg.t0 + eps:
                    rows.append(before)
                elif t >= seg.t1 - eps:
                    rows.append(sol[-1])
                else:
                    rows.append(sol[1 + int(np.searchsorted(interior, t))])
            states_out = np.array(rows).T if rows else None
            y = sol[-1].copy()
        else:
            states_out = np.repeat(before[:, None], len(inside), axis=1) if len(inside) else None
        if states_out is not None:
            n = states_out.shape[1]
            Y[:, filled : filled + n] = states_out
            U[:, filled : filled + n] = seg.u[:, None]
            filled += n
    if filled != len(t_eval):
        raise IntegrationError("output times outside the simulated interval")
    amounts = [i for i, r in enumerate(c.layout.state_roles) if r in ("body", "lumen", "control")]
    if check_stores and np.any(Y[amounts].min(axis=1) < -100 * atol[amounts]):
        raise IntegrationError(
            "a body store became negative; the regimen is far outside clinical practice (it removes more than the body holds: lower the removal - dialysis, binders, diuretics - or its duration)"
        )
    return Y, U

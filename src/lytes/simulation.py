"""One entry point: ``simulate(scenario)`` builds the patient, finds their steady state (or runs their history),
and runs the scenario's regimen - or each of its arms - through the engine."""

from __future__ import annotations

import numpy as np

from .engine import steady
from .engine.codegen import Compiled, compiled, parameter_vector
from .engine.scipy_engine import Segment, integrate
from .errors import InputError
from .result import Comparison, Result, build_result
from .scenario import load
from .scenario.regimen import Regimen, compile_history, compile_regimen

ACCUMULATORS = ("intake", "urine", "faeces", "other")


def _grid(duration: float, every: float | None) -> np.ndarray:
    if every is None:
        every = 0.25 if duration <= 14 * 24 else max(0.25, duration / 4000)
    if not 1 / 60 <= every <= duration:
        raise InputError("every", f"{every} h", "an output interval from 1 min up to the scenario's duration")
    n = int(np.floor(duration / every + 1e-9))
    t = np.arange(n + 1) * every
    if t[-1] < duration - 1e-9:
        t = np.append(t, duration)
    return t


def drug_classes(*regimens: Regimen) -> tuple[str, ...] | None:
    """The model variant the regimens need: without drug states (()) when they use no drug, else the full model
    (None). Two variants only, so a fresh machine generates code at most twice (~20 s each, then cached)."""
    from .model.mechanisms.drugs import CLASSES

    names = set()
    for reg in regimens:
        names.update(reg.base)
        names.update(ch.input for ch in reg.changes)
        names.update(j.state for j in reg.jumps)
    uses_drugs = any(n.startswith(f"{cls}_") for cls in CLASSES for n in names)
    return None if uses_drugs else ()


def baseline_inputs(c: Compiled, reg: Regimen) -> np.ndarray:
    """Inputs in force from t = 0 and in the initial steady state: defaults, diet, conditions."""
    u = np.array(c.layout.input_defaults, dtype=float)
    for name, value in reg.base.items():
        u[c.input_index[name]] = value
    return u


def segments(c: Compiled, reg: Regimen, u0: np.ndarray) -> list[Segment]:
    """Piecewise-constant inputs between every change; dose jumps at the start of the segment they fall in."""
    points = {0.0, reg.duration}
    for ch in reg.changes:
        points.update((ch.t0, ch.t1))
    points.update(j.t for j in reg.jumps)
    bounds = sorted(t for t in points if 0 <= t <= reg.duration)
    out = []
    for t0, t1 in zip(bounds[:-1], bounds[1:]):
        u = u0.copy()
        active = [ch for ch in reg.changes if ch.t0 <= t0 < ch.t1]
        for mode in ("set", "mul", "add"):
            for ch in active:
                if ch.mode.split(":")[0] != mode:
                    continue
                k = c.input_index[ch.input]
                u[k] = ch.value if mode == "set" else u[k] * ch.value if mode == "mul" else u[k] + ch.value
        jumps = [(c.index[j.state], j.amount) for j in reg.jumps if j.t == t0]
        out.append(Segment(t0, t1, u, jumps))
    return out


def _run(c: Compiled, p: np.ndarray, reg: Regimen, y0: np.ndarray, t: np.ndarray):
    u0 = baseline_inputs(c, reg)
    return integrate(c, p, y0, segments(c, reg, u0), t)


def _from_labs(c: Compiled, p: np.ndarray, sc, reg: Regimen) -> tuple[dict[str, float], np.ndarray | None]:
    """Hook values that make the steady state match the patient's labs, and that state (empty, None without labs)."""
    if not sc.patient.labs:
        return {}, None
    from .scenario.labs import fit, parse_labs

    targets = parse_labs(sc.patient.labs)
    return fit(c, p, _chronic_inputs(c, sc, reg), targets, steady.solve)


def _chronic_inputs(c: Compiled, sc, reg: Regimen) -> np.ndarray:
    """Baseline inputs; with labs, plus the scenario's medications at their dose-averaged rates (the labs were
    drawn on them, so the steady state the labs describe includes them)."""
    u = baseline_inputs(c, reg)
    if sc.patient.labs and sc.medications:
        from .scenario.regimen import medication_rates

        for name, rate in medication_rates(sc.medications, "medications").items():
            u[c.input_index[name]] += rate
    return u


def _start(c: Compiled, p: np.ndarray, sc, reg: Regimen, initial_only: dict | None = None, guess=None) -> np.ndarray:
    """The state at t = 0: the steady state on the scenario's diet and the patient's conditions, then - if the
    scenario has a history - that history run from it."""
    u = _chronic_inputs(c, sc, reg)
    for name, value in (initial_only or {}).items():
        u[c.input_index[name]] = value
    y = steady.solve(c, p, u, guess)
    if sc.history is None:
        return y
    hreg = compile_history(sc)
    Y, _ = _run(c, p, hreg, y, np.array([0.0, hreg.duration]))
    y = Y[:, -1].copy()
    for i, role in enumerate(c.layout.state_roles):
        if role in ACCUMULATORS:
            y[i] = 0.0  # running totals restart at t = 0
    return y


def simulate(scenario, every: float | None = None, parameters: dict[str, float] | None = None) -> Result | Comparison:
    """Run a scenario; a scenario with ``arms`` gives a Comparison of one Result per arm.

    ``parameters`` overrides values of the parameter table (in its units), e.g. for sensitivity analysis.
    """
    sc = load(scenario)
    reg = compile_regimen(sc)
    arm_regs = {arm: compile_regimen(sc, arm) for arm in sc.arms or {}}
    history = [compile_history(sc)] if sc.history is not None else []
    c = compiled(drug_classes=drug_classes(reg, *arm_regs.values(), *history))
    if parameters:
        from .model.parameters import table

        unknown = set(parameters) - set(table())
        if unknown:
            raise InputError("parameters", sorted(unknown)[0], "names from the parameter table (lytes params)")
    p = parameter_vector(reg.patient.model_parameters(), c, parameters)
    factors, y_labs = _from_labs(c, p, sc, reg)
    initial_only = {k: v for k, v in factors.items() if k.startswith("iv_")}  # a source that stops at t = 0
    factors = {k: v for k, v in factors.items() if k not in initial_only}
    if factors or initial_only:
        from .scenario.labs import describe

        reg.base.update(factors)
        reg.notes += describe({**factors, **initial_only})
    y0 = _start(c, p, sc, reg, initial_only, y_labs)
    t = _grid(reg.duration, every)
    if not sc.arms:
        Y, U = _run(c, p, reg, y0, t)
        return build_result(sc.name, c, p, t, Y, U, notes=reg.notes)
    results = {}
    for arm, arm_reg in arm_regs.items():
        arm_reg.base.update(factors)
        arm_reg.notes = reg.notes + arm_reg.notes
        Y, U = _run(c, p, arm_reg, y0, t)
        results[arm] = build_result(f"{sc.name} [{arm}]", c, p, t, Y, U, notes=arm_reg.notes)
    return Comparison(sc.name, results, {arm: spec.description for arm, spec in sc.arms.items()})

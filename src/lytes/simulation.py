"""One entry point: ``simulate(scenario)`` builds the patient, finds their steady state on their diet, and runs the
scenario's regimen through the engine."""

from __future__ import annotations

import numpy as np

from .engine import steady
from .engine.codegen import Compiled, compiled, parameter_vector
from .engine.scipy_engine import Segment, integrate
from .errors import InputError
from .result import Result, build_result
from .scenario import load
from .scenario.regimen import Regimen, compile_regimen


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


def segments(c: Compiled, reg: Regimen, u0: np.ndarray) -> list[Segment]:
    """Piecewise-constant inputs between every dose start and stop; oral doses as jumps at segment starts."""
    points = {0.0, reg.duration}
    for inf in reg.infusions:
        points.update((inf.start, inf.end))
    for dose in reg.oral:
        points.add(dose.time)
    bounds = sorted(t for t in points if 0 <= t <= reg.duration)
    out = []
    for t0, t1 in zip(bounds[:-1], bounds[1:]):
        u = u0.copy()
        for inf in reg.infusions:
            if inf.start <= t0 < inf.end:
                u[c.input_index[f"iv_{inf.ion}"]] += inf.rate
        jumps = []
        for dose in reg.oral:
            if dose.time == t0:
                jumps.append((c.index[f"{dose.ion}_stomach"], dose.available))
                jumps.append((c.index[f"{dose.ion}_faeces"], dose.unavailable))
                jumps.append((c.index[f"{dose.ion}_in"], -(dose.available + dose.unavailable)))
        out.append(Segment(t0, t1, u, jumps))
    return out


def baseline_inputs(c: Compiled, reg: Regimen) -> np.ndarray:
    u = np.array(c.layout.input_defaults, dtype=float)
    for ion, rate in reg.diet.items():
        u[c.input_index[f"diet_{ion}"]] = rate
    return u


def simulate(scenario, every: float | None = None) -> Result:
    sc = load(scenario)
    reg = compile_regimen(sc)
    c = compiled()
    p = parameter_vector(reg.patient.model_parameters())
    u0 = baseline_inputs(c, reg)
    y0 = steady.solve(c, p, u0)
    t = _grid(reg.duration, every)
    Y, U = integrate(c, p, y0, segments(c, reg, u0), t)
    return build_result(sc.name, c, p, t, Y, U)

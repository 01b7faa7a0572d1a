"""Benchmark: a 30-day single-patient run, after warm-up, on one core.

Reports the median wall time of lytes' engine (odeint/LSODA with the generated analytic Jacobian, integrated between
dose discontinuities) and, as a baseline measured in the same process on the same model and inputs, scipy's
``solve_ivp`` BDF with a finite-difference Jacobian. The ratio is the figure to compare across machines.
Target (issue 2): <= 0.1 s per 30-day run; HumMod's published figure is 31 days in 17 s.

    python benchmarks/bench_30day.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from scipy.integrate import solve_ivp

import lytes
from lytes.engine import steady
from lytes.engine.codegen import compiled, parameter_vector
from lytes.engine.scipy_engine import integrate
from lytes.scenario import load
from lytes.scenario.regimen import compile_regimen
from lytes.simulation import _grid, baseline_inputs, segments

SCENARIO = {
    "name": "benchmark: 30 days, CKD 3, low-Mg diet, oral KCl every 8 h, daily IV MgSO4",
    "patient": {"weight": "80 kg", "sex": "male", "age": "65 y", "egfr": "50 mL/min/1.73m2"},
    "diet": {"K": "60 mmol/day", "Mg": "6 mmol/day", "Na": "120 mmol/day", "Ca": "20 mmol/day"},
    "interventions": [
        {"at": "1 h", "give": "KCl", "route": "oral", "dose": "20 mmol", "every": "8 h", "for": "30 d"},
        {"at": "10 h", "give": "MgSO4", "route": "iv", "dose": "2 g", "over": "1 h", "every": "24 h", "for": "30 d"},
    ],
    "duration": "30 d",
}


def prepare():
    reg = compile_regimen(load(SCENARIO))
    c = compiled()
    p = parameter_vector(reg.patient.model_parameters())
    u0 = baseline_inputs(c, reg)
    y0 = steady.solve(c, p, u0)
    return c, p, y0, segments(c, reg, u0), _grid(reg.duration, None)


def run_lytes(c, p, y0, segs, t):
    return integrate(c, p, y0, segs, t)


def run_baseline(c, p, y0, segs, t):
    """solve_ivp BDF, finite-difference Jacobian, same segments and output grid."""
    y = y0.copy()
    for seg in segs:
        for index, amount in seg.jumps:
            y[index] += amount
        if seg.t1 > seg.t0:
            sol = solve_ivp(
                lambda tt, yy, u=seg.u: c.rhs(yy, tt, p, u),
                (seg.t0, seg.t1),
                y,
                method="BDF",
                rtol=1e-6,
                atol=np.maximum(np.abs(y0), 1.0) * 1e-8,
            )
            y = sol.y[:, -1]
    return y


def timed(fn, args, repeat):
    fn(*args)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    c, p, y0, segs, t = prepare()
    ours = timed(run_lytes, (c, p, y0, segs, t), args.repeat)
    full = timed(lambda: lytes.simulate(SCENARIO), (), max(3, args.repeat // 2))
    print(f"lytes {lytes.__version__}: {SCENARIO['name']}")
    print(f"  states {c.n}, segments {len(segs)}, output points {len(t)}")
    print(f"  engine, 30 days (median of {args.repeat}):      {ours * 1000:8.1f} ms   (target <= 100 ms)")
    print(f"  lytes.simulate incl. steady state and result:  {full * 1000:8.1f} ms")
    if not args.skip_baseline:
        base = timed(run_baseline, (c, p, y0, segs, t), 1)
        print(f"  baseline solve_ivp BDF, FD Jacobian:          {base * 1000:8.1f} ms")
        print(f"  speed-up over baseline:                       {base / ours:8.1f} x")
    print(f"  vs HumMod's published 31 days in 17 s:        {17 * 30 / 31 / ours:8.0f} x faster")


if __name__ == "__main__":
    main()

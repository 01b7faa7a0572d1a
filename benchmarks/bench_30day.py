"""Benchmark: 30-day single-patient runs, after warm-up, on one core.

Reports the median wall time of lytes' engine (odeint/LSODA with the generated analytic Jacobian, integrated between
dose discontinuities) for three 30-day regimens, and, as a baseline measured in the same process on the same model
and inputs, scipy's ``solve_ivp`` BDF with a finite-difference Jacobian. Ratios are the figures to compare across
machines. Target (issue 2): <= 0.1 s per 30-day run; HumMod's published figure is 31 days in 17 s.

    python benchmarks/bench_30day.py [--repeat 7] [--skip-baseline]
    LYTES_JIT=numba python benchmarks/bench_30day.py     # the optional numba-compiled right-hand side
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
from lytes.simulation import _grid, baseline_inputs, drug_classes, segments

PATIENT = {"weight": "80 kg", "sex": "male", "age": "65 y", "egfr": "50 mL/min/1.73m2"}
SCENARIOS = {
    "quiet: diet only": {"patient": PATIENT, "diet": {"Mg": "6 mmol/day"}, "duration": "30 d"},
    "typical: daily oral KCl and MgO": {
        "patient": PATIENT,
        "diet": {"Mg": "6 mmol/day"},
        "interventions": [
            {"at": "8 h", "give": "KCl", "route": "oral", "dose": "40 mmol", "every": "24 h", "for": "30 d"},
            {"at": "20 h", "give": "MgO", "route": "oral", "dose": "400 mg", "every": "24 h", "for": "30 d"},
        ],
        "duration": "30 d",
    },
    "eventful: KCl every 8 h + daily IV MgSO4": {
        "patient": PATIENT,
        "diet": {"K": "60 mmol/day", "Mg": "6 mmol/day", "Na": "120 mmol/day", "Ca": "20 mmol/day"},
        "interventions": [
            {"at": "1 h", "give": "KCl", "route": "oral", "dose": "20 mmol", "every": "8 h", "for": "30 d"},
            {
                "at": "10 h",
                "give": "MgSO4",
                "route": "iv",
                "dose": "2 g",
                "over": "1 h",
                "every": "24 h",
                "for": "30 d",
            },
        ],
        "duration": "30 d",
    },
}


def prepare(scenario):
    reg = compile_regimen(load(scenario))
    c = compiled(drug_classes=drug_classes(reg))
    p = parameter_vector(reg.patient.model_parameters(), c)
    u0 = baseline_inputs(c, reg)
    y0 = steady.solve(c, p, u0)
    return c, p, y0, segments(c, reg, u0), _grid(reg.duration, None)


def run_lytes(c, p, y0, segs, t):
    return integrate(c, p, y0, segs, t)


def run_baseline(c, p, y0, segs, t):
    """solve_ivp BDF, finite-difference Jacobian, same segments (output only at segment ends)."""
    y = y0.copy()
    atol = np.maximum(np.abs(y0), 1.0) * 1e-8
    for seg in segs:
        for index, amount in seg.jumps:
            y[index] += amount
        if seg.t1 > seg.t0:
            sol = solve_ivp(
                lambda tt, yy, u=seg.u: c.rhs(yy, tt, p, u), (seg.t0, seg.t1), y, method="BDF", rtol=1e-6, atol=atol
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
    c = compiled(drug_classes=())
    print(f"lytes {lytes.__version__}, engine: odeint (LSODA) + generated Jacobian, right-hand side: {c.jit}")
    print(f"{'30-day run':44s} {'segments':>8s} {'lytes':>10s} {'baseline':>10s} {'ratio':>7s} {'vs HumMod':>9s}")
    for name, scenario in SCENARIOS.items():
        c, p, y0, segs, t = prepare(scenario)
        ours = timed(run_lytes, (c, p, y0, segs, t), args.repeat)
        if args.skip_baseline:
            base_txt, ratio_txt = "-", "-"
        else:
            base = timed(run_baseline, (c, p, y0, segs, t), 1)
            base_txt, ratio_txt = f"{base * 1000:8.0f}ms", f"{base / ours:6.1f}x"
        hummod = 17 * 30 / 31 / ours
        print(f"{name:44s} {len(segs):8d} {ours * 1000:8.1f}ms {base_txt:>10s} {ratio_txt:>7s} {hummod:8.0f}x")


if __name__ == "__main__":
    main()

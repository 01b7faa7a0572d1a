"""Benchmark against a peer: lytes' default engine, lytes' roadrunner engine, and bare libroadrunner on lytes' own
SBML export, in one process, for 30-day patients (the scenarios of bench_30day.py), plus cold starts.

- "integration": the 30-day run from the patient's t = 0 state (lytes: ``integrate`` over the regimen's segments;
  bare libroadrunner: the exported SBML with its events, loaded once, then ``resetAll()`` + ``simulate`` on the same
  15-min grid, selecting the result series).
- "simulate()": a whole patient through ``lytes.simulate`` (steady state, run, result series, mass balance).
- "error": the largest relative difference of any state (lytes) or result series (bare libroadrunner) from a
  tolerance-converged run (scipy at rtol 1e-10), with a floor of 1e-3 of each series' largest value.
- Cold start: ``lytes run healthy`` in a fresh process with an empty LYTES_CACHE_DIR (generates the model's code),
  again with the cache filled, and with ``--engine roadrunner``; bare libroadrunner loading the SBML file anew.

Times are medians after a warm-up, on one core (the process is pinned to one CPU where the OS allows).
Needs ``pip install -e ".[sbml]"``. Prints a Markdown table.

    python benchmarks/bench_peers.py [--repeat 5] [--skip-cold]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_30day import SCENARIOS  # noqa: E402 - the same 30-day patients

import lytes  # noqa: E402
from lytes.engine import roadrunner_engine  # noqa: E402
from lytes.engine.scipy_engine import integrate  # noqa: E402
from lytes.export import prepare  # noqa: E402
from lytes.result import build_result  # noqa: E402


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = sorted(os.sched_getaffinity(0))[-1]
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned"


def timed(fn, repeat: int) -> float:
    fn()  # warm-up (compiles roadrunner models, fills caches)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def relative_error(ref: np.ndarray, value: np.ndarray) -> float:
    """Largest |value - ref| / max(|ref|, 1e-3 max|ref| of its row) over rows (series) and times."""
    floor = 1e-3 * np.abs(ref).max(axis=1, keepdims=True) + 1e-12
    return float(np.max(np.abs(value - ref) / np.maximum(np.abs(ref), floor)))


def bare_roadrunner(sbml: str, selections: list[str], grid: np.ndarray, rtol=None, atol=None):
    """libroadrunner as a user would run the export: load once; each run is resetAll() + simulate on the grid."""
    import roadrunner

    r = roadrunner.RoadRunner(sbml)
    if rtol is not None:
        r.integrator.relative_tolerance = rtol
        r.integrator.absolute_tolerance = atol
    r.integrator.maximum_num_steps = 100000
    r.timeCourseSelections = selections
    times = grid.tolist()

    def run():
        r.resetAll()
        return np.asarray(r.simulate(times=times)).T

    return run


def bench_scenario(name: str, scenario: dict, repeat: int) -> list[dict]:
    e = prepare(scenario)  # lytes' own run of the patient, recorded: the same c, p, y0, segments as simulate()
    c, p, y0, segments, grid = e.run
    ref_Y, ref_U = integrate(c, p, y0, segments, grid, rtol=1e-10, atol_scale=1e-10)
    series = list(e.result.series)
    ids = [e.model.outputs[s] for s in series]
    converged = build_result("converged", c, p, grid, ref_Y, ref_U)
    ref_series = np.array([converged.series[s] for s in series])
    doses = np.isin(np.round(grid, 9), np.round([s.t0 for s in segments if s.jumps], 9))  # rows lytes reports pre-dose

    rows = []
    runs = {
        "lytes, scipy engine (default)": lambda: integrate(c, p, y0, segments, grid),
        "lytes, roadrunner engine": lambda: roadrunner_engine.integrate(c, p, y0, segments, grid),
    }
    for label, fn in runs.items():
        seconds = timed(fn, repeat)
        rows.append({"run": label, "part": "integration", "s": seconds, "error": relative_error(ref_Y, fn()[0])})
    sbml = e.sbml()
    for label, tol in (
        ("bare libroadrunner, its defaults", {}),
        ("bare libroadrunner, rtol 1e-8", {"rtol": 1e-8, "atol": 1e-10}),
    ):
        start = time.perf_counter()
        fn = bare_roadrunner(sbml, ids, grid, **tol)
        load = time.perf_counter() - start
        seconds = timed(fn, repeat)
        values = fn()
        keep = ~doses  # at a dose instant roadrunner reports after the dose, lytes before it
        error = relative_error(ref_series[:, keep], values[:, keep])
        again = fn()
        assert np.array_equal(values, again), "resetAll() + simulate is not reproducible"
        rows.append({"run": label, "part": "integration", "s": seconds, "error": error, "load": load})
    for label, engine in (("lytes.simulate(), scipy", "scipy"), ("lytes.simulate(), roadrunner", "roadrunner")):
        seconds = timed(functools.partial(lytes.simulate, scenario, engine=engine), max(3, repeat // 2))
        rows.append({"run": label, "part": "whole patient", "s": seconds, "error": None})
    for row in rows:
        row["scenario"] = name
        row["segments"] = len(segments)
    return rows


def cold_starts(sbml_path: Path, repeat: int = 3) -> list[tuple[str, float]]:
    """Median wall times of fresh processes (``repeat`` each; the empty-cache one with a new cache every time)."""

    def wall(args, env=None) -> float:
        start = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True)
        return time.perf_counter() - start

    lytes_cmd = [sys.executable, "-m", "lytes"]
    out = []
    empty = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as cache:
            empty.append(
                wall(lytes_cmd + ["run", "healthy"], dict(os.environ, LYTES_CACHE_DIR=cache, LYTES_JIT="python"))
            )
    out.append(("lytes run healthy, empty LYTES_CACHE_DIR (generates the model's code)", statistics.median(empty)))
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, LYTES_CACHE_DIR=cache, LYTES_JIT="python")
        wall(lytes_cmd + ["run", "healthy"], env)  # fills the cache
        for label, args in (
            ("lytes run healthy, cache filled", ["run", "healthy"]),
            ("lytes run healthy --engine roadrunner, cache filled", ["run", "healthy", "--engine", "roadrunner"]),
            (
                "lytes export sbml healthy, cache filled",
                ["export", "sbml", "healthy", "-o", str(Path(cache) / "h.xml")],
            ),
        ):
            out.append((label, statistics.median(wall(lytes_cmd + args, env) for _ in range(repeat))))
    code = (
        "import roadrunner, sys; r = roadrunner.RoadRunner(open(sys.argv[1]).read()); "
        "r.simulate(times=[0.25 * k for k in range(2881)])"
    )
    bare = statistics.median(wall([sys.executable, "-c", code, str(sbml_path)]) for _ in range(repeat))
    out.append(("bare libroadrunner: import, load the 30-day SBML, simulate", bare))
    return out


def bench_population(n: int) -> list[tuple[str, float, str]]:
    """The 48-h MgSO4 population (built-in ``mgso4_population``), one worker (this core): lytes' population path with
    the Python and the numba right-hand side (each patient: covariates and parameters drawn, steady state, three
    arms), against bare libroadrunner running the exported Sibai arm of one patient n x 3 times (integration only:
    no steady state, no parameter draws - the peer's best case)."""
    from lytes.population import population

    rows = []
    for jit in ("python", "numba"):
        if jit == "numba":
            import importlib.util

            if importlib.util.find_spec("numba") is None:
                continue
        os.environ["LYTES_JIT"] = jit
        population("mgso4_population", n=4, seed=99, workers=1, progress=False)  # warm-up (and numba's compile)
        start = time.perf_counter()
        pop = population("mgso4_population", n=n, seed=1, workers=1, progress=False)
        elapsed = time.perf_counter() - start
        os.environ.pop("LYTES_JIT", None)
        rows.append((f"lytes population, {jit} right-hand side", n / elapsed, f"{pop.n_ok} of {n} simulated"))
    from lytes.population.spec import load as load_spec

    scenario = load_spec("mgso4_population").scenario
    e = prepare(scenario, arm="sibai")
    grid = e.run[4]
    run = bare_roadrunner(e.sbml(), ["time", "Mg_serum", "K_serum"], grid)
    run()
    start = time.perf_counter()
    for _ in range(3 * n):
        run()
    rows.append(
        ("bare libroadrunner, one patient's Sibai arm x 3", n / (time.perf_counter() - start), "no steady states")
    )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--population", type=int, default=1000, help="patients in the MgSO4 population (0: skip)")
    args = parser.parse_args()
    import roadrunner

    pinned = pin_one_core()
    rows = []
    for name, scenario in SCENARIOS.items():
        rows += bench_scenario(name, scenario, args.repeat)
    print(
        f"lytes {lytes.__version__}, libroadrunner {roadrunner.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()} {platform.processor() or ''} ({os.cpu_count()} CPUs, {pinned}); medians of "
        f"{args.repeat}, after a warm-up"
    )
    print()
    print("| 30-day patient | segments | run | time | patients/s/core | vs bare libroadrunner | error |")
    print("|---|---|---|---|---|---|---|")
    for name in SCENARIOS:
        mine = [r for r in rows if r["scenario"] == name]
        bare = next(r["s"] for r in mine if r["run"] == "bare libroadrunner, its defaults")
        for r in mine:
            error = "-" if r["error"] is None else f"{r['error']:.0e}"
            load = f" (loaded once: {r['load']:.1f} s)" if r.get("load", 0) > 0.05 else ""
            print(
                f"| {name} | {r['segments']} | {r['run']}, {r['part']}{load} | {r['s'] * 1000:.1f} ms | "
                f"{1 / r['s']:.1f} | {r['s'] / bare:.2f}x | {error} |"
            )
    if args.population:
        print()
        print(f"| 48-h MgSO4 population, {args.population} patients x 3 arms, one core | patients/s/core | note |")
        print("|---|---|---|")
        for label, rate, note in bench_population(args.population):
            print(f"| {label} | {rate:.1f} | {note} |")
    if args.skip_cold:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "typical.xml"
        path.write_text(prepare(SCENARIOS["typical: daily oral KCl and MgO"]).sbml())
        print()
        print("| cold start (fresh process, median of 3) | wall time |")
        print("|---|---|")
        for label, seconds in cold_starts(path):
            print(f"| {label} | {seconds:.1f} s |")


if __name__ == "__main__":
    main()

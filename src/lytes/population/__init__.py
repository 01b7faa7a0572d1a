"""Virtual populations: N patients drawn from distributions of covariates and model parameters, each run through the
scenario's arms (regimens) with the public ``simulate``; percentile bands and the probability of target attainment and
of toxicity per arm and subgroup.

```python
import lytes

pop = lytes.population("mgso4_population", n=200, seed=1)
pop.attainment()          # pandas: target, time_h, arm, subgroup, n, met, probability, ci95_low, ci95_high
pop.percentiles()         # pandas: arm, quantity, time_h, p5 ... p95
pop.to_frame()            # long pandas: patient, arm, time_h, quantity, value + covariates
pop.to_xarray()           # Dataset: value (patient x arm x time_h x quantity), attained, covariates
pop.plot("bands.png")
```
"""

from __future__ import annotations

import os
import time

from ..errors import InputError
from .result import MAX_MEMORY, Population
from .spec import MAX_N, MAX_VALUES, Plan, load, names

__all__ = ["population", "Population", "Plan", "load", "names", "MAX_N"]


NUMBA_FROM = 200  # patients: from here numba's one-off compile (~10 s, then cached on disk) pays for itself


def _use_numba(n: int) -> bool:
    """A large population runs the numba-compiled right-hand side when numba is installed (``lytes[fast]``) and the
    user has not chosen (LYTES_JIT): ~4x faster per patient, the same numbers to the solver's tolerance."""
    import importlib.util

    if n < NUMBA_FROM or "LYTES_JIT" in os.environ or importlib.util.find_spec("numba") is None:
        return False
    os.environ["LYTES_JIT"] = "numba"  # read by the workers' code generation (engine.codegen.jit_mode)
    return True


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _count(value, field: str, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, bool) or float(value) != int(value):
                raise ValueError
            value = int(value)
        except (TypeError, ValueError):
            raise InputError(field, value, what) from None
    if not low <= value <= high:
        raise InputError(field, value, what)
    return value


def population(
    spec,
    n: int = 1000,
    seed: int = 0,
    workers: int | None = None,
    scheduler=None,
    progress: bool | None = None,
    every=None,
    max_memory: int = MAX_MEMORY,
) -> Population:
    """Simulate a virtual population.

    ``spec``: a population spec (YAML path, built-in name - ``lytes.population.names()`` - or dict). ``n`` patients
    (at most 100,000) from ``seed``: the same seed gives the same numbers, whatever ``workers`` (processes; default:
    all cores) or ``scheduler`` (a ``distributed.Client`` or a Dask scheduler address, ``tcp://host:8786``).
    ``progress``: a progress bar on stderr (default: when stderr is a terminal). ``every``: output interval (hours or
    text such as '30 min'), overriding the spec's. Series beyond ``max_memory`` bytes are kept in a scratch file.
    A patient that fails to simulate is counted and reported (``Population.failures()``); if every patient fails,
    the first failure is raised as an InputError.
    """
    from . import runner

    n = _count(n, "n", 1, MAX_N, f"a number of patients from 1 to {MAX_N:,}")
    seed = _count(seed, "seed", 0, 2**63 - 1, "a seed: a whole number of 0 or more")
    if workers is None:
        workers = default_workers()
    workers = _count(workers, "workers", 1, 1024, "a number of worker processes from 1 to 1024")
    plan = spec if isinstance(spec, Plan) else load(spec, every)
    size = n * len(plan.arms) * len(plan.quantities) * len(plan.time_h)
    if size > MAX_VALUES:
        raise InputError(
            "n",
            n,
            "",
            f"would keep {size:,} values (patients x arms x times x quantities), above {MAX_VALUES:,}: use fewer "
            "patients or quantities, or a longer output interval (every)",
        )
    pop = Population(plan, n, seed, max_memory=max_memory)
    parts = runner.chunks(n, runner.chunk_size(n, workers if scheduler is None else 8 * workers))
    bar = _progress(progress, n, plan.name)
    started = time.perf_counter()

    def done(chunk) -> None:
        pop.add(chunk)
        if bar is not None:
            bar[0].advance(bar[1], len(chunk.indices))

    compiled_rhs = _use_numba(n)
    try:
        if bar is not None:
            bar[0].start()
        if scheduler is not None:
            runner.run_dask(plan, seed, parts, scheduler, done)
            pop.workers = 0  # a cluster's
        else:
            runner.run_local(plan, seed, parts, workers, done)
            pop.workers = min(workers, len(parts))
    finally:
        if bar is not None:
            bar[0].stop()
        if compiled_rhs:
            os.environ.pop("LYTES_JIT", None)
    pop.elapsed_s = time.perf_counter() - started
    if pop.n_ok == 0:
        first = pop.messages[0]
        raise InputError("population", f"all {n} patients", "", f"failed to simulate; the first (patient 0): {first}")
    return pop


def _progress(wanted: bool | None, n: int, name: str):
    import sys

    if wanted is None:
        wanted = sys.stderr.isatty()
    if not wanted:
        return None
    from ..progress import progress_bar

    bar = progress_bar("patients", terminal_only=False)
    task = bar.add_task(name[:40], total=n)
    return bar, task


class _CallableModule(type(os)):
    """``lytes.population`` is both this package and the function: importing the package replaces the attribute
    ``lytes.population`` (the lazy wrapper in ``lytes/__init__.py``) with the module, so the module is callable."""

    def __call__(self, spec, **options) -> Population:
        return population(spec, **options)


import sys as _sys  # noqa: E402

_sys.modules[__name__].__class__ = _CallableModule

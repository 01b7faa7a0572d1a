"""Local sensitivity of the validation outputs to every parameter of the table.

Normalized sensitivity S = (dy / y) / (dp / p), by a one-sided +5 % perturbation of each parameter, for every check
of the chosen cases; a case's influence list ranks parameters by the largest |S| over its checks. Patient
parameters (weight, sex, GFR) belong to the scenarios and are not perturbed.

The runs are independent, so they are spread over worker processes (``workers``; all cores by default). Each run is
the same deterministic computation wherever it runs, so the results are identical to a serial run's.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

from ..model.parameters import table
from .run import Case, run_case

STEP = 0.05

Progress = Callable[[int, int], None]  # (runs done, runs in all)


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _values(case: Case, override: dict[str, float]) -> list[float] | None:
    """The case's check values with ``override``; None where the model cannot follow it (reported as undefined)."""
    try:
        return [c.simulated for c in run_case(case, override or None).checks]
    except Exception:
        return None


_CASES: list[Case] = []  # the cases a worker process runs, set once per worker


def _init_worker(case_list: list[Case]) -> None:
    global _CASES
    _CASES = case_list


def _run_all(override: dict[str, float]) -> list[list[float] | None]:
    return [_values(case, override) for case in _CASES]


def evaluate(
    case_list: list[Case],
    overrides: list[dict[str, float]],
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[list[list[float] | None]]:
    """For each override (parameter values in the table's units; ``{}`` for none), each case's check values (None
    where the run failed), in the order given. ``workers`` processes (default: all cores; 1 runs here, serially)."""
    workers = default_workers() if workers is None else workers
    total = len(overrides)
    out: list = [None] * total
    if workers <= 1 or total <= 1:
        for i, override in enumerate(overrides):
            out[i] = [_values(case, override) for case in case_list]
            if progress:
                progress(i + 1, total)
        return out
    # spawn: fresh workers that share no threads or locks with this process (safe on every platform)
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=min(workers, total), mp_context=context, initializer=_init_worker, initargs=(list(case_list),)
    )
    try:
        futures = {pool.submit(_run_all, override): i for i, override in enumerate(overrides)}
        for done, future in enumerate(as_completed(futures), start=1):
            out[futures[future]] = future.result()
            if progress:
                progress(done, total)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return out


def sensitivities(
    case_list: list[Case],
    names: list[str] | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict[str, list]:
    """{case id: [(parameter, S with the largest |S| over the case's checks), ...] sorted by |S|}."""
    rows = table()
    names = names or [n for n, p in rows.items() if p.value != 0]
    overrides = [{}] + [{name: rows[name].value * (1 + STEP)} for name in names]
    values = evaluate(case_list, overrides, workers, progress)
    base = dict(zip((case.id for case in case_list), values[0]))
    for case in case_list:
        if base[case.id] is None:
            run_case(case)  # the case itself does not run: raise its own error here
    out: dict[str, dict[str, float]] = {case.id: {} for case in case_list}
    for name, per_case in zip(names, values[1:]):
        for case, perturbed in zip(case_list, per_case):
            if perturbed is None:  # a perturbation the model cannot follow: report it as undefined
                out[case.id][name] = float("nan")
                continue
            s = [((v - b) / b) / STEP if b else 0.0 for v, b in zip(perturbed, base[case.id])]
            out[case.id][name] = max(s, key=abs)
    return {cid: sorted(d.items(), key=lambda kv: -abs(kv[1]) if kv[1] == kv[1] else 0) for cid, d in out.items()}

"""Drawing and running the patients of a population: one independent ``simulate`` per patient, in chunks, in this
process, in worker processes (concurrent.futures) or on a Dask cluster.

Reproducibility: patient ``i`` of seed ``s`` draws from its own random streams (numpy ``SeedSequence(s,
spawn_key=(i, k))``: k = 0 for the subgroup and covariates, one uniform number per slot of ``spec.SLOTS``; k = 1 for the
parameters, one standard normal number per row of the parameter table), so its numbers do not depend on N, on how
the patients are chunked, on the number of workers or on the order the chunks finish in.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .spec import SLOTS, Plan

OK, INPUT_ERROR, INTEGRATION_ERROR = 0, 1, 2
STATUS = {OK: "ok", INPUT_ERROR: "input error", INTEGRATION_ERROR: "integration error"}
NUMERIC_COVARIATES = ("weight_kg", "age_y", "egfr", "creatinine_mg_dl", "lab_K", "lab_Mg", "lab_Ca", "height_cm")


@dataclass
class Draw:
    subgroup: int
    covariates: dict  # weight_kg, height_cm, age_y, sex, egfr, creatinine_mg_dl, pregnant, labs {ion: mmol/L}
    parameters: dict[str, float]


def _streams(seed: int, i: int) -> tuple[np.ndarray, np.ndarray]:
    u = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i, 0))).random(len(SLOTS))
    return u, np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i, 1)))


def draw(plan: Plan, seed: int, i: int) -> Draw:
    """Patient ``i``'s subgroup, covariates and parameter values."""
    u, prng = _streams(seed, i)
    slot = dict(zip(SLOTS, u))
    k = 0
    while k < len(plan.subgroups) - 1 and slot["subgroup"] >= sum(s.share for s in plan.subgroups[: k + 1]):
        k += 1
    covs = plan.subgroups[k].covariates
    out: dict = {"labs": {}}
    numeric = (("weight", "weight_kg"), ("height", "height_cm"), ("age", "age_y"), ("egfr", "egfr"))
    for name, key in (*numeric, ("creatinine", "creatinine_mg_dl")):
        if name in covs:
            out[key] = float(f"{covs[name].ppf(slot[name]):.10g}")
    if "sex" in covs:
        out["sex"] = covs["sex"].ppf(slot["sex"])
    if "pregnancy" in covs:
        out["pregnant"] = bool(covs["pregnancy"].ppf(slot["pregnancy"]))
    for ion in ("K", "Mg", "Ca"):
        if f"labs.{ion}" in covs:
            out["labs"][ion] = float(f"{covs[f'labs.{ion}'].ppf(slot[f'labs.{ion}']):.10g}")
    params = {}
    if plan.parameters:
        z = prng.standard_normal(plan.n_table)
        for p in plan.parameters:
            params[p.name] = _vary(p, float(z[p.index]))
    return Draw(k, out, params)


def _vary(p, z: float) -> float:
    if p.kind == "log":
        return p.center * math.exp(p.sigma * z)
    if p.kind == "logit":
        logit = math.log(p.center / (1 - p.center)) + p.sigma * z
        return 1 / (1 + math.exp(-logit))
    from scipy.special import ndtr

    return float(p.dist.ppf(min(max(float(ndtr(z)), 1e-12), 1 - 1e-12)))


def patient_scenario(plan: Plan, d: Draw):
    """The plan's scenario with patient ``d``'s covariates."""
    sc = plan.scenario
    covs = d.covariates
    update: dict = {}
    if "weight_kg" in covs:
        update["weight"] = f"{covs['weight_kg']:.10g} kg"
    if "height_cm" in covs:
        update["height"] = f"{covs['height_cm']:.10g} cm"
    if "age_y" in covs:
        update["age"] = f"{covs['age_y']:.10g} y"
    if "sex" in covs:
        update["sex"] = covs["sex"]
    if "egfr" in covs:
        update["egfr"], update["creatinine"] = f"{covs['egfr']:.10g} mL/min/1.73m2", None
    if "creatinine_mg_dl" in covs:
        update["creatinine"], update["egfr"] = f"{covs['creatinine_mg_dl']:.10g} mg/dL", None
    if "pregnant" in covs:
        sex = covs.get("sex", sc.patient.sex).lower()
        conditions = [c for c in sc.patient.conditions if _condition(c) not in ("pregnancy", "preeclampsia")]
        kept = [c for c in sc.patient.conditions if _condition(c) in ("pregnancy", "preeclampsia")]
        if covs["pregnant"] and sex == "female":  # pregnancy is drawn for women only; a man is never pregnant
            conditions = kept + conditions if kept else ["pregnancy", *conditions]
        update["conditions"] = conditions
    if covs["labs"]:
        labs = dict(sc.patient.labs or {})
        for ion, value in covs["labs"].items():
            labs = {k: v for k, v in labs.items() if k.lower() != ion.lower()}
            labs[ion] = f"{value:.10g} mmol/L"
        update["labs"] = labs
    if not update:
        return sc
    return sc.model_copy(update={"patient": sc.patient.model_copy(update=update)})


def _condition(c) -> str:
    return (c if isinstance(c, str) else str(c.get("condition", ""))).lower()


@dataclass
class Chunk:
    """The results of patients ``indices``: values (arms, quantities, patients, times), attainment (patients, arms,
    targets; NaN for a failed patient), covariates and status."""

    indices: np.ndarray
    values: np.ndarray
    attained: np.ndarray
    subgroup: np.ndarray
    numeric: np.ndarray  # (patients, NUMERIC_COVARIATES)
    sex: list
    pregnant: list
    status: np.ndarray
    messages: list


def run_chunk(plan: Plan, seed: int, indices) -> Chunk:
    """Draw and simulate patients ``indices`` (each independent: one that fails is recorded, never raised)."""
    from ..simulation import simulate

    indices = np.asarray(indices, dtype=np.int64)
    n, A, Q, T, R = len(indices), len(plan.arms), len(plan.quantities), len(plan.time_h), len(plan.targets)
    values = np.full((A, Q, n, T), np.nan)
    attained = np.full((n, A, R), np.nan)
    numeric = np.full((n, len(NUMERIC_COVARIATES)), np.nan)
    subgroup = np.zeros(n, dtype=np.int32)
    status = np.zeros(n, dtype=np.int8)
    sex, pregnant, messages = [], [], []
    base = plan.scenario.patient
    for j, i in enumerate(indices):
        d = draw(plan, seed, int(i))
        subgroup[j] = d.subgroup
        covs = d.covariates
        for c, key in enumerate(NUMERIC_COVARIATES):
            if key.startswith("lab_"):
                numeric[j, c] = covs["labs"].get(key[4:], np.nan)
            elif key in covs:
                numeric[j, c] = covs[key]
        sex.append(covs.get("sex", base.sex.lower()))
        message = ""
        try:
            sc = patient_scenario(plan, d)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a patient's solver warnings: its run succeeds or is counted
                result = simulate(sc, every=plan.every_h, parameters=d.parameters or None)
            runs = result.arms if hasattr(result, "arms") else {"main": result}
            for a, arm in enumerate(plan.arms):
                run = runs[arm]
                if len(run.time_h) != T or not np.allclose(run.time_h, plan.time_h):
                    raise RuntimeError("the output grid differs from the population's")
                for q, name in enumerate(plan.quantities):
                    values[a, q, j] = run.series[name]
            first = runs[plan.arms[0]]
            numeric[j, NUMERIC_COVARIATES.index("egfr")] = first.context.get("egfr", np.nan)
            pregnant.append(any(c in ("pregnancy", "preeclampsia") for c in first.context.get("conditions", ())))
            if not np.isfinite(values[:, :, j]).all():
                raise RuntimeError("a result value is not finite")
        except InputError as exc:  # the solver's failure comes as an input error caused by a RuntimeError
            solver = isinstance(exc.__cause__, RuntimeError)
            status[j], message = (INTEGRATION_ERROR if solver else INPUT_ERROR), str(exc)
        except Exception as exc:  # noqa: BLE001 - the solver's failures of one patient are counted, never raised
            status[j], message = INTEGRATION_ERROR, f"{type(exc).__name__}: {exc}"
        if status[j] != OK:
            values[:, :, j] = np.nan
            if len(pregnant) <= j:
                listed = any(_condition(c) in ("pregnancy", "preeclampsia") for c in base.conditions)
                pregnant.append(bool(covs.get("pregnant", listed)) and sex[-1] == "female")
            k = NUMERIC_COVARIATES.index("egfr")
            if "creatinine_mg_dl" in covs:
                from ..patient import ckd_epi_2021

                age = covs.get("age_y", numeric[j, NUMERIC_COVARIATES.index("age_y")])
                numeric[j, k] = ckd_epi_2021(covs["creatinine_mg_dl"], 40.0 if np.isnan(age) else age, sex[-1])
            elif np.isnan(numeric[j, k]):
                numeric[j, k] = covs.get("egfr", np.nan)
        messages.append(message)
        if status[j] == OK:
            for r, target in enumerate(plan.targets):
                q = plan.quantities.index(target.quantity)
                attained[j, :, r] = target.met(plan.time_h, values[:, q, j])
    return Chunk(indices, values, attained, subgroup, numeric, sex, pregnant, status, messages)


def chunks(n: int, size: int) -> list[np.ndarray]:
    return [np.arange(i, min(i + size, n)) for i in range(0, n, size)]


def chunk_size(n: int, workers: int) -> int:
    """About 8 chunks per worker (so a slow chunk does not hold the others up), at most 64 patients each."""
    return max(1, min(64, math.ceil(n / max(1, workers * 8))))


# ----------------------------------------------------------------------------------------------- executors
def _pool_context():
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    # forkserver: workers fork from a clean single-threaded server (never from this process, whose progress bar runs
    # a thread); spawn where there is none (Windows)
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["lytes.population.runner", "lytes.simulation"])
        return ctx
    return mp.get_context("spawn")


def _main_unimportable() -> bool:
    import os
    import sys

    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is not None and not os.path.exists(main_file)


def run_local(plan: Plan, seed: int, parts: list[np.ndarray], workers: int, done):
    """Run the chunks here (workers == 1) or in a process pool; ``done(chunk)`` as each finishes.

    A script read from stdin (``python - <<EOF``) has a main module that new processes cannot import; it runs here,
    on one core, rather than fail."""
    if workers <= 1 or len(parts) <= 1 or _main_unimportable():
        for part in parts:
            done(run_chunk(plan, seed, part))
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(parts)), mp_context=_pool_context()) as pool:
            pending = {pool.submit(run_chunk, plan, seed, part) for part in parts}
            try:
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        done(future.result())
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
    except BrokenProcessPool:
        raise RuntimeError(
            "a worker process stopped (out of memory, or a script that starts worker processes at import: call "
            "lytes.population under `if __name__ == '__main__':`, or use workers=1)"
        ) from None


def run_dask(plan: Plan, seed: int, parts: list[np.ndarray], scheduler, done):
    """Run the chunks on a Dask cluster: ``scheduler`` is a ``distributed.Client`` or its address
    (``tcp://host:8786``). Needs the ``[dask]`` extra, and lytes installed on the workers."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError(
            "--scheduler",
            str(scheduler),
            "a Dask scheduler with dask.distributed installed (pip install 'lytes[dask]')",
        ) from None
    own = not isinstance(scheduler, Client)
    if own:
        try:
            client = Client(str(scheduler), timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                "--scheduler", str(scheduler), f"the address of a running Dask scheduler ({exc})"
            ) from None
    else:
        client = scheduler
    try:
        shared = client.scatter(plan, broadcast=True)
        futures = [client.submit(run_chunk, shared, seed, part, pure=False) for part in parts]
        for future in as_completed(futures):
            done(future.result())
    finally:
        if own:
            client.close()

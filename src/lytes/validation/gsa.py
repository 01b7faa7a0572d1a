"""Global sensitivity of one validation case: Morris elementary effects or Sobol indices (SALib, the optional extra
``lytes[gsa]``, imported only here).

Which parameters: the case's most influential ones by the local analysis (``sensitivity.sensitivities``: the
largest |S| over the case's checks), unless they are named.

Their ranges are a modelling choice, taken from each parameter's evidence grade: the value is multiplied by a factor
drawn uniformly on a log scale between 1/r and r, with r = 1.1 for E (well established), 1.25 for S (one study or
source), 1.5 for M (modelling choice or derived) and 2 for U (uncertain) - roughly the spread of the sources behind
each grade. A dimensionless fraction or share below 1 is capped at 0.99 so that it stays a fraction.

Morris (``n`` trajectories, 4 levels; n x (k + 1) runs for k parameters) ranks by mu*, the mean absolute elementary
effect in the check's own units per unit of the normalised range, with its bootstrap 95 % confidence half-width, and
sigma (non-linearity and interactions). Sobol (Saltelli's scheme, ``n`` a power of 2; n x (k + 2) runs) gives the
first-order S1 and total ST indices with their 95 % confidence half-widths; it needs a larger n (64 or more) to
be read. Runs the model cannot follow are counted and make the indices of their check undefined (NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..model.parameters import table
from .run import Case
from .sensitivity import Progress, evaluate, sensitivities

METHODS = ("morris", "sobol")
DEFAULT_N = {"morris": 10, "sobol": 64}
RANGE_FACTOR = {"E": 1.1, "S": 1.25, "M": 1.5, "U": 2.0}  # modelling choice: see the module docstring
FRACTION_CAP = 0.99
SALIB_MISSING = "needs SALib, the optional extra for global sensitivity: pip install 'lytes[gsa]'"


@dataclass
class GlobalSensitivity:
    case: str
    method: str
    n: int
    seed: int
    parameters: list[dict]  # name, value, unit, evidence, low, high
    checks: list[dict]  # name, baseline, indices ranked (largest first)
    runs: int
    failed: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "case": self.case,
            "method": self.method,
            "n": self.n,
            "seed": self.seed,
            "ranges": "modelling choice: a factor 1/r to r on a log scale, r = "
            + ", ".join(f"{k} {v:g}" for k, v in RANGE_FACTOR.items()),
            "parameters": self.parameters,
            "checks": self.checks,
            "runs": self.runs,
            "failed": self.failed,
            "notes": self.notes,
        }


def _salib():
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise InputError("--method", "morris/sobol", "", SALIB_MISSING) from None
    return morris_sample, morris_analyze, sobol_sample, sobol_analyze


def check_request(method: str, n: int | None) -> int:
    """The sample size to use; a bad method or size is refused in one line."""
    if method not in METHODS:
        raise InputError("--method", method, "local, " + " or ".join(METHODS))
    n = DEFAULT_N[method] if n is None else n
    if n < 2:
        raise InputError("--n", n, "at least 2")
    if method == "sobol" and n & (n - 1):
        raise InputError("--n", n, "a power of 2 for sobol (e.g. 64, 128, 256)")
    return n


def ranges(names: list[str]) -> list[dict]:
    """Each parameter's value, unit, evidence grade and the range it is varied over (see the module docstring)."""
    rows = table()
    out = []
    for name in names:
        p = rows[name]
        r = RANGE_FACTOR[p.evidence]
        low, high = p.value / r, p.value * r
        if p.unit == "1" and 0 < p.value < 1 and ("fraction" in name or "share" in name):
            high = min(high, max(FRACTION_CAP, p.value))
        low, high = sorted((low, high))  # a negative value
        out.append({"name": name, "value": p.value, "unit": p.unit, "evidence": p.evidence, "low": low, "high": high})
    return out


def influential(case: Case, top: int, workers: int | None = None, progress: Progress | None = None) -> list[str]:
    """The case's ``top`` parameters by local sensitivity (largest finite, non-zero |S|)."""
    ranked = sensitivities([case], workers=workers, progress=progress)[case.id]
    return [name for name, s in ranked if s == s and s != 0][:top]


def analyse(
    case: Case,
    method: str = "morris",
    n: int | None = None,
    names: list[str] | None = None,
    top: int = 8,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
    screening_progress: Progress | None = None,
) -> GlobalSensitivity:
    """Global sensitivity of ``case``'s checks to ``names`` (default: its ``top`` parameters by local sensitivity)."""
    n = check_request(method, n)
    morris_sample, morris_analyze, sobol_sample, sobol_analyze = _salib()
    rows = table()
    if names:
        unknown = [x for x in names if x not in rows]
        if unknown:
            raise InputError("--param", unknown[0], "names from the parameter table (lytes params)")
        zero = [x for x in names if rows[x].value == 0]
        if zero:
            raise InputError("--param", zero[0], "a parameter with a non-zero value (ranges are factors of it)")
        names = list(dict.fromkeys(names))
    else:
        names = influential(case, top, workers, screening_progress)
    if len(names) < 2:
        raise InputError("--param", ", ".join(names) or "none", "at least 2 parameters to compare")
    spec = ranges(names)
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [sorted((math.log(p["low"] / p["value"]), math.log(p["high"] / p["value"]))) for p in spec],
    }
    if method == "morris":
        X = morris_sample.sample(problem, n, num_levels=4, seed=seed)
    else:
        X = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    values = [rows[name].value for name in names]
    overrides = [{name: v * math.exp(x) for name, v, x in zip(names, values, row)} for row in X]
    results = evaluate([case], [{}] + overrides, workers, progress)
    baseline = results[0][0]
    if baseline is None:
        from .run import run_case

        run_case(case)  # the case itself does not run: raise its own error here
    runs = [r[0] for r in results[1:]]
    failed = sum(r is None for r in runs)
    checks = []
    for j, check in enumerate(case.checks):
        Y = np.array([np.nan if r is None else r[j] for r in runs])
        if np.isnan(Y).any():  # a failed run: SALib's estimators need every run
            nan = float("nan")
            fields = (
                ("mu_star", "mu_star_conf", "sigma", "mu") if method == "morris" else ("S1", "S1_conf", "ST", "ST_conf")
            )
            indices = [{"parameter": name, **dict.fromkeys(fields, nan)} for name in names]
            checks.append({"name": check.name, "baseline": baseline[j], "indices": indices})
            continue
        if method == "morris":
            got = morris_analyze.analyze(problem, X, Y, num_levels=4, seed=seed)
            indices = [
                {
                    "parameter": name,
                    "mu_star": float(got["mu_star"][i]),
                    "mu_star_conf": float(got["mu_star_conf"][i]),
                    "sigma": float(got["sigma"][i]),
                    "mu": float(got["mu"][i]),
                }
                for i, name in enumerate(names)
            ]
            key = "mu_star"
        else:
            got = sobol_analyze.analyze(problem, Y, calc_second_order=False, seed=seed)
            indices = [
                {
                    "parameter": name,
                    "S1": float(got["S1"][i]),
                    "S1_conf": float(got["S1_conf"][i]),
                    "ST": float(got["ST"][i]),
                    "ST_conf": float(got["ST_conf"][i]),
                }
                for i, name in enumerate(names)
            ]
            key = "ST"
        indices.sort(key=lambda d: -d[key] if d[key] == d[key] else math.inf)
        checks.append({"name": check.name, "baseline": baseline[j], "indices": indices})
    notes = []
    if failed:
        notes.append(f"{failed} of {len(runs)} runs failed (the model could not follow those values): indices NaN")
    return GlobalSensitivity(case.id, method, n, seed, spec, checks, len(runs), failed, notes)

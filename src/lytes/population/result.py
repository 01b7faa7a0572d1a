"""A simulated population: every patient's series (kept in memory, or on disk for a large N), covariates and status;
the summaries a clinical pharmacologist reads (percentile bands per arm, the probability of target attainment and of
toxicity per arm and subgroup), and export (pandas, xarray, CSV, JSON, plot)."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import weakref

import numpy as np

from ..result import NORMAL_RANGE, NOTICE
from .runner import NUMERIC_COVARIATES, OK, STATUS, Chunk
from .spec import Plan

PERCENTILES = (5, 25, 50, 75, 95)
MAX_MEMORY = 512 * 2**20  # bytes of series kept in memory; beyond this they are streamed to a scratch file on disk
Z95 = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion k/n (NaN for n = 0)."""
    if n == 0:
        return math.nan, math.nan
    p = k / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))


class Population:
    """N simulated patients x the scenario's arms. ``values`` is (arms, quantities, patients, times)."""

    def __init__(self, plan: Plan, n: int, seed: int, max_memory: int = MAX_MEMORY):
        self.plan, self.n, self.seed = plan, n, seed
        self.time_h = plan.time_h
        A, Q, T, R = len(plan.arms), len(plan.quantities), len(plan.time_h), len(plan.targets)
        shape = (A, Q, n, T)
        self.scratch = None
        if np.prod(shape, dtype=np.int64) * 8 > max_memory:
            self.scratch = tempfile.mkdtemp(prefix="lytes-population-")
            weakref.finalize(self, shutil.rmtree, self.scratch, True)
            self.values = np.lib.format.open_memmap(
                os.path.join(self.scratch, "values.npy"), mode="w+", dtype=np.float64, shape=shape
            )
            self.values[:] = np.nan
        else:
            self.values = np.full(shape, np.nan)
        self.attained = np.full((n, A, R), np.nan)
        self.subgroup = np.zeros(n, dtype=np.int32)
        self.numeric = np.full((n, len(NUMERIC_COVARIATES)), np.nan)
        self.sex = np.empty(n, dtype=object)
        self.pregnant = np.zeros(n, dtype=bool)
        self.status = np.zeros(n, dtype=np.int8)
        self.messages = np.empty(n, dtype=object)
        self.elapsed_s = math.nan
        self.workers = 1

    def __repr__(self) -> str:
        return (
            f"Population({self.plan.name!r}: N = {self.n}, seed {self.seed}, {self.n_ok} simulated; arms "
            f"{', '.join(self.arms)}; subgroups {', '.join(self.subgroups)})"
        )

    # ------------------------------------------------------------------ filling
    def add(self, chunk: Chunk) -> None:
        i = chunk.indices
        lo, hi = int(i[0]), int(i[-1]) + 1
        self.values[:, :, lo:hi, :] = chunk.values
        self.attained[lo:hi] = chunk.attained
        self.subgroup[lo:hi] = chunk.subgroup
        self.numeric[lo:hi] = chunk.numeric
        self.sex[lo:hi] = chunk.sex
        self.pregnant[lo:hi] = chunk.pregnant
        self.status[lo:hi] = chunk.status
        self.messages[lo:hi] = chunk.messages

    # ------------------------------------------------------------------ basics
    @property
    def arms(self) -> tuple[str, ...]:
        return self.plan.arms

    @property
    def quantities(self) -> tuple[str, ...]:
        return self.plan.quantities

    @property
    def subgroups(self) -> tuple[str, ...]:
        return self.plan.subgroup_names

    @property
    def targets(self):
        return self.plan.targets

    @property
    def ok(self) -> np.ndarray:
        return self.status == OK

    @property
    def n_ok(self) -> int:
        return int(self.ok.sum())

    def series(self, arm: str, quantity: str) -> np.ndarray:
        """Patients x times of one quantity in one arm (NaN rows for failed patients)."""
        return np.asarray(self.values[self.arms.index(arm), self.quantities.index(quantity)])

    def failures(self):
        """The patients that failed to simulate: patient, kind, message (pandas)."""
        import pandas as pd

        bad = np.flatnonzero(~self.ok)
        return pd.DataFrame(
            {
                "patient": bad,
                "kind": [STATUS[int(s)] for s in self.status[bad]],
                "message": list(self.messages[bad]),
            }
        )

    def patients(self):
        """One row per patient: subgroup, covariates (those the population varies or that are known), status."""
        import pandas as pd

        frame = pd.DataFrame({"patient": np.arange(self.n)})
        frame["subgroup"] = pd.Categorical.from_codes(self.subgroup, categories=list(self.subgroups))
        for c, key in enumerate(NUMERIC_COVARIATES):
            column = self.numeric[:, c]
            if key in ("weight_kg", "age_y", "egfr") or not np.isnan(column).all():
                frame[key] = column
        frame["sex"] = list(self.sex)
        frame["pregnant"] = self.pregnant
        frame["status"] = [STATUS[int(s)] for s in self.status]
        frame = self._fill_fixed(frame)
        return frame

    def _fill_fixed(self, frame):
        """Weight and age the spec does not vary are the scenario's own (for every patient)."""
        from ..units import parse

        p = self.plan.scenario.patient
        if frame["weight_kg"].isna().all():
            frame["weight_kg"] = parse(p.weight, "patient.weight", "kg")
        if frame["age_y"].isna().all():
            frame["age_y"] = parse(p.age, "patient.age", "year")
        return frame

    # ------------------------------------------------------------------ summaries
    def percentiles(self, subgroup: str | None = None, levels=PERCENTILES):
        """Percentile bands over time per arm and quantity (patients that simulated; one subgroup if given):
        long pandas with columns arm, quantity, time_h, p5, p25, p50, p75, p95."""
        import pandas as pd

        bands = self._bands(subgroup, levels)
        rows = []
        for (arm, q), table in bands.items():
            frame = pd.DataFrame({f"p{lv:g}": table[k] for k, lv in enumerate(levels)})
            frame.insert(0, "time_h", self.time_h)
            frame.insert(0, "quantity", q)
            frame.insert(0, "arm", arm)
            rows.append(frame)
        out = pd.concat(rows, ignore_index=True)
        out.attrs["units"] = dict(self.plan.units)
        return out

    def _bands(self, subgroup: str | None = None, levels=PERCENTILES) -> dict:
        keep = self.ok.copy()
        if subgroup is not None:
            if subgroup not in self.subgroups:
                from ..errors import InputError

                raise InputError("subgroup", subgroup, f"one of {', '.join(self.subgroups)}")
            keep &= self.subgroup == self.subgroups.index(subgroup)
        out = {}
        for a, arm in enumerate(self.arms):
            for q, name in enumerate(self.quantities):
                data = np.asarray(self.values[a, q])[keep]
                if len(data) == 0:
                    out[(arm, name)] = np.full((len(levels), len(self.time_h)), np.nan)
                else:
                    out[(arm, name)] = np.percentile(data, levels, axis=0)
        return out

    def attainment(self):
        """The probability that each target (and toxicity) is met, per target x time, arm and subgroup ('all' and each
        subgroup), with its 95 % Wilson interval: pandas."""
        import pandas as pd

        return pd.DataFrame(self._attainment_rows())

    def _attainment_rows(self) -> list[dict]:
        rows = []
        groups = [("all", self.ok)]
        if len(self.subgroups) > 1:
            groups += [(s, self.ok & (self.subgroup == k)) for k, s in enumerate(self.subgroups)]
        for r, t in enumerate(self.targets):
            for a, arm in enumerate(self.arms):
                for name, mask in groups:
                    hits = self.attained[mask, a, r]
                    n, k = int(len(hits)), int(np.nansum(hits))
                    low, high = wilson(k, n)
                    rows.append(
                        {
                            "target": t.label,
                            "kind": t.kind,
                            "condition": t.condition(),
                            "quantity": t.quantity,
                            "mode": t.mode,
                            "time_h": t.time_h,
                            "arm": arm,
                            "subgroup": name,
                            "n": n,
                            "met": k,
                            "probability": k / n if n else math.nan,
                            "ci95_low": low,
                            "ci95_high": high,
                        }
                    )
        return rows

    # ------------------------------------------------------------------ exports
    def to_frame(self, patients=None):
        """Long pandas: patient, arm, time_h, quantity, value, with the patient's subgroup, covariates and status
        (``patients``: an index array to take only some; all by default - mind the size for a large N)."""
        import pandas as pd

        idx = np.arange(self.n) if patients is None else np.asarray(patients)
        info = self.patients().iloc[idx].reset_index(drop=True)
        A, Q, T = len(self.arms), len(self.quantities), len(self.time_h)
        block = np.asarray(self.values[:, :, idx, :])  # (A, Q, P, T)
        P = len(idx)
        values = block.transpose(2, 0, 3, 1).reshape(-1)  # patient, arm, time, quantity
        frame = pd.DataFrame(
            {
                "patient": np.repeat(idx, A * T * Q),
                "arm": pd.Categorical.from_codes(
                    np.tile(np.repeat(np.arange(A), T * Q), P), categories=list(self.arms)
                ),
                "time_h": np.tile(np.repeat(self.time_h, Q), P * A),
                "quantity": pd.Categorical.from_codes(
                    np.tile(np.arange(Q), P * A * T), categories=list(self.quantities)
                ),
                "value": values,
            }
        )
        covs = info.drop(columns=["patient"])
        repeated = covs.iloc[np.repeat(np.arange(P), A * T * Q)].reset_index(drop=True)
        frame = pd.concat([frame, repeated], axis=1)
        frame.attrs["units"] = {"time_h": "h", **self.plan.units}
        frame.attrs["notice"] = NOTICE
        return frame

    def to_xarray(self):
        """An xarray Dataset: ``value`` (patient x arm x time_h x quantity), ``attained`` (patient x arm x target),
        the covariates along ``patient``. xarray is imported only here."""
        import xarray as xr

        info = self.patients()
        values = np.asarray(self.values).transpose(2, 0, 3, 1)  # patient, arm, time, quantity
        coords = {
            "patient": np.arange(self.n),
            "arm": list(self.arms),
            "time_h": self.time_h,
            "quantity": list(self.quantities),
            "target": [f"{t.label} ({t.mode} {t.time_h:g} h)" for t in self.targets],
        }
        data = {
            "value": (("patient", "arm", "time_h", "quantity"), values),
            "attained": (("patient", "arm", "target"), self.attained),
        }
        for column in info.columns:
            if column != "patient":
                series = info[column]
                data[column] = (
                    "patient",
                    series.astype(str).to_numpy() if series.dtype == object else series.to_numpy(),
                )
        ds = xr.Dataset(data, coords=coords)
        ds["value"].attrs["units"] = ", ".join(f"{q}: {u}" for q, u in self.plan.units.items())
        ds.attrs.update(
            {
                "name": self.plan.name,
                "seed": self.seed,
                "units": ", ".join(f"{q} {u}" for q, u in self.plan.units.items()),
                "notice": NOTICE,
            }
        )
        return ds

    def to_csv(self, path, block: int = 500) -> None:
        """The long table (patient, arm, time_h, quantity, value + covariates), written a block of patients at a time."""
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(f"# {self.plan.name} (N = {self.n}, seed {self.seed}). {NOTICE}\n")
            fh.write("# units: " + ", ".join(f"{q} {u}" for q, u in self.plan.units.items()) + ", time_h h\n")
            for start in range(0, self.n, block):
                frame = self.to_frame(np.arange(start, min(start + block, self.n)))
                frame.to_csv(fh, index=False, header=start == 0, float_format="%.8g")

    def summary(self) -> dict:
        """Covariates and subgroups of the population as drawn: counts, medians and 5-95th percentiles."""
        info = self.patients()
        out: dict = {"subgroups": {}, "covariates": {}}
        for k, name in enumerate(self.subgroups):
            sub = self.plan.subgroups[k]
            out["subgroups"][name] = {
                "share": sub.share,
                "n": int((self.subgroup == k).sum()),
                "n_ok": int(((self.subgroup == k) & self.ok).sum()),
                "description": sub.description,
            }
        for key in NUMERIC_COVARIATES:
            if key in info and info[key].notna().any():
                x = info[key].to_numpy(dtype=float)
                x = x[~np.isnan(x)]
                p5, p50, p95 = np.percentile(x, [5, 50, 95])
                out["covariates"][key] = {"median": round(p50, 4), "p5": round(p5, 4), "p95": round(p95, 4)}
        out["covariates"]["female_share"] = round(float(np.mean(info["sex"] == "female")), 4)
        out["covariates"]["pregnant_share"] = round(float(np.mean(info["pregnant"])), 4)
        return out

    def to_dict(self) -> dict:
        """The summaries as JSON data: population, failures, percentile bands per arm, and ``attainment``."""
        from ..result import provenance

        bad = ~self.ok
        examples = [f"patient {i}: {self.messages[i]}" for i in np.flatnonzero(bad)[:5]]
        bands = self._bands()
        percentiles: dict = {arm: {} for arm in self.arms}
        for (arm, q), table in bands.items():
            percentiles[arm][q] = {f"p{lv}": [_round(v) for v in table[k]] for k, lv in enumerate(PERCENTILES)}
        rows = self._attainment_rows()
        for row in rows:
            for key in ("probability", "ci95_low", "ci95_high"):
                row[key] = _round(row[key], 4)
        return {
            "name": self.plan.name,
            "description": self.plan.description,
            "notice": NOTICE,
            **provenance(),
            "n": self.n,
            "seed": self.seed,
            "scenario": self.plan.scenario.name,
            "arms": {arm: self.plan.arm_descriptions.get(arm, "") for arm in self.arms},
            "units": {"time_h": "h", **self.plan.units},
            "every_h": self.plan.every_h,
            "parameters": self.plan.parameter_text,
            "population": self.summary(),
            "failed": {
                "count": int(bad.sum()),
                "input_error": int((self.status == 1).sum()),
                "integration_error": int((self.status == 2).sum()),
                "examples": examples,
            },
            "time_h": [_round(t) for t in self.time_h],
            "percentiles": percentiles,
            "attainment": rows,
            "sources": list(self.plan.sources),
            "run": {
                "workers": self.workers,
                "elapsed_s": _round(self.elapsed_s, 3),
                "patients_per_s": _round(self.n / self.elapsed_s, 3) if self.elapsed_s > 0 else None,
            },
        }

    def plot(self, path=None, quantities=None):
        """Percentile bands over time: one panel per quantity (rows) and arm (columns); 5-95th and 25-75th
        percentiles shaded, the median drawn; the targets' thresholds dashed. Saved to ``path`` if given."""
        from matplotlib.figure import Figure

        names = list(quantities or self.quantities[:4])
        bands = self._bands()
        days = self.time_h[-1] > 72
        t = self.time_h / 24 if days else self.time_h
        A, Q = len(self.arms), len(names)
        fig = Figure(figsize=(4.0 * A + 0.6, 2.5 * Q + 1.0))
        axes = fig.subplots(Q, A, squeeze=False, sharex=True, sharey="row")
        for q, name in enumerate(names):
            for a, arm in enumerate(self.arms):
                ax = axes[q][a]
                p = bands[(arm, name)]
                ax.fill_between(t, p[0], p[4], color="tab:blue", alpha=0.18, lw=0, label="5-95th")
                ax.fill_between(t, p[1], p[3], color="tab:blue", alpha=0.35, lw=0, label="25-75th")
                ax.plot(t, p[2], color="tab:blue", lw=1.5, label="median")
                if name in NORMAL_RANGE:
                    ax.axhspan(*NORMAL_RANGE[name], color="tab:green", alpha=0.08, lw=0)
                for level, colour in self._thresholds(name):
                    ax.axhline(level, color=colour, ls="--", lw=0.8)
                if q == 0:
                    ax.set_title(arm, fontsize=9)
                if a == 0:
                    ax.set_ylabel(f"{name} [{self.plan.units[name]}]", fontsize=8)
                if q == Q - 1:
                    ax.set_xlabel("time [d]" if days else "time [h]")
                ax.grid(alpha=0.3)
                ax.tick_params(labelsize=7)
        axes[0][0].legend(fontsize=6, loc="best")
        fig.suptitle(
            f"{self.plan.name}: N = {self.n} ({self.n_ok} simulated), seed {self.seed}\n"
            f"{NOTICE} Dashed: targets (green) and toxicity thresholds (red).",
            fontsize=8,
        )
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig

    def _thresholds(self, quantity: str) -> list[tuple[float, str]]:
        seen, out = set(), []
        for t in self.targets:
            if t.quantity != quantity:
                continue
            colour = "tab:red" if t.kind == "toxicity" else "tab:green"
            for level in (t.lo, t.hi):
                if math.isfinite(level) and (level, colour) not in seen:
                    seen.add((level, colour))
                    out.append((level, colour))
        return out


def _round(x, digits: int = 6):
    if x is None or not math.isfinite(float(x)):
        return None
    x = float(x)
    if x == 0:
        return 0.0
    return round(x, max(0, digits - 1 - int(math.floor(math.log10(abs(x))))))

"""Trajectories with names and units, mass balance, export (frame, CSV, JSON) and plots."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine.codegen import Compiled

NOTICE = "lytes is a simulation for education, research and decision support; it is not a prescription."
IONS = ("K", "Mg", "Na", "Ca")
# adult reference ranges shaded on plots (Palmer 2015 CJASN; de Baaij 2015 Physiol Rev; Boron & Boulpaep)
NORMAL_RANGE = {
    "K_serum": (3.5, 5.0),
    "Mg_serum": (0.70, 1.0),
    "Mg_ionized": (0.45, 0.60),
    "Na_serum": (135.0, 145.0),
    "Ca_ionized": (1.10, 1.30),
    "Ca_total": (2.15, 2.55),
    "PTH": (15.0, 65.0),
}

# name: (unit, description)
SERIES = {
    "K_serum": ("mmol/L", "serum potassium"),
    "Mg_serum": ("mmol/L", "serum total magnesium"),
    "Mg_ionized": ("mmol/L", "serum ionized magnesium"),
    "Na_serum": ("mmol/L", "serum sodium"),
    "Ca_ionized": ("mmol/L", "serum ionized calcium"),
    "Ca_total": ("mmol/L", "serum total calcium"),
    "PTH": ("pg/mL", "plasma intact PTH"),
    "aldosterone": ("ng/L", "plasma aldosterone"),
    "K_cell": ("mmol/L", "mean cell potassium"),
    "Na_cell": ("mmol/L", "mean cell sodium"),
    "Mg_cell_free": ("mmol/L", "cytosolic free magnesium"),
    "K_urine_rate": ("mmol/h", "urinary potassium excretion rate"),
    "Mg_urine_rate": ("mmol/h", "urinary magnesium excretion rate"),
    "Na_urine_rate": ("mmol/h", "urinary sodium excretion rate"),
    "Ca_urine_rate": ("mmol/h", "urinary calcium excretion rate"),
    "FE_K": ("%", "fractional excretion of potassium"),
    "FE_Mg": ("%", "fractional excretion of magnesium"),
    "FE_Na": ("%", "fractional excretion of sodium"),
    "FE_Ca": ("%", "fractional excretion of calcium"),
    "pump_activity": ("1", "Na/K-ATPase capacity relative to healthy (content x Mg-ATP x hormones)"),
    "romk_activity": ("1", "ROMK channel availability relative to healthy (cytosolic and external Mg)"),
    "membrane_potential": ("mV", "cell membrane potential"),
    "excitability_margin": ("mV", "firing threshold minus resting potential (narrowed by high K, widened by calcium)"),
    "ECF_volume": ("L", "extracellular fluid volume"),
    "body_K": ("mmol", "potassium in ECF and cells"),
    "body_Mg": ("mmol", "magnesium in ECF, cells and bone"),
    "body_Na": ("mmol", "sodium in ECF and cells"),
    "body_Ca": ("mmol", "calcium in ECF and bone"),
    "K_urine": ("mmol", "cumulative urinary potassium"),
    "Mg_urine": ("mmol", "cumulative urinary magnesium"),
    "Na_urine": ("mmol", "cumulative urinary sodium"),
    "Ca_urine": ("mmol", "cumulative urinary calcium"),
    "K_dialysis": ("mmol", "cumulative potassium removed by dialysis (negative: gained from the fluid)"),
    "Mg_dialysis": ("mmol", "cumulative magnesium removed by dialysis"),
    "Na_dialysis": ("mmol", "cumulative sodium removed by dialysis and ultrafiltration"),
    "Ca_dialysis": ("mmol", "cumulative calcium removed by dialysis"),
}

DIGOXIN_SERIES = {
    "digoxin_serum": ("ng/mL", "serum digoxin concentration"),
    "digoxin_pump_occupancy": ("1", "share of Na/K-ATPases occupied by digoxin"),
}


def provenance() -> dict:
    """The lytes version and the fingerprint of the model's code and data that produced a result."""
    from . import __version__
    from .engine.codegen import model_fingerprint

    return {"lytes_version": __version__, "model": model_fingerprint()}


@dataclass
class Balance:
    ion: str
    intake: float
    stores_change: float
    urine: float
    faeces: float
    other: float  # removed by dialysis (negative: gained from the dialysate)
    error: float  # intake - stores_change - urine - faeces - other, mmol

    @property
    def relative_error(self) -> float:
        return abs(self.error) / max(abs(self.intake), abs(self.urine) + abs(self.faeces) + abs(self.other), 1.0)


@dataclass
class Result:
    name: str
    time_h: np.ndarray
    series: dict[str, np.ndarray]
    units: dict[str, str]
    balance: dict[str, Balance] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # what the clinical reading of this run needs beyond its series (set by simulate() from the scenario and arm):
    # "meds" (canonical names of the medications and products given), "conditions", "egfr" (baseline, mL/min/1.73m2)
    context: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.series[name]

    def at(self, name: str, t_h: float) -> float:
        """Value of a series at time t (linear interpolation between output points)."""
        return float(np.interp(t_h, self.time_h, self.series[name]))

    def to_frame(self):
        import pandas as pd

        frame = pd.DataFrame({"time_h": self.time_h, **self.series})
        frame.attrs["units"] = {"time_h": "h", **self.units}
        frame.attrs["notice"] = NOTICE
        return frame

    def to_csv(self, path) -> None:
        header = ["time_h"] + [f"{k} [{u}]" for k, u in self.units.items()]
        data = np.column_stack([self.time_h] + [self.series[k] for k in self.units])
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(f"# {self.name}. {NOTICE}\n")
            fh.write(",".join(header) + "\n")
            for row in data:
                fh.write(",".join(f"{v:.10g}" for v in row) + "\n")

    def arm_dict(self) -> dict:
        """This run as one arm of the JSON output."""
        return {
            "time_h": self.time_h.tolist(),
            "series": {k: v.tolist() for k, v in self.series.items()},
            "mass_balance": {
                ion: {
                    "intake_mmol": b.intake,
                    "stores_change_mmol": b.stores_change,
                    "urine_mmol": b.urine,
                    "faeces_mmol": b.faeces,
                    "other_mmol": b.other,
                    "relative_error": b.relative_error,
                }
                for ion, b in self.balance.items()
            },
            "notes": list(self.notes),
            "context": dict(self.context),
        }

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "notice": NOTICE,
            **provenance(),
            "units": {"time_h": "h", **self.units},
            "arms": {"main": self.arm_dict()},
        }

    def plot(
        self,
        path=None,
        names=("K_serum", "Mg_serum", "Ca_ionized", "Na_serum", "K_cell", "romk_activity"),
        marks=(),
    ):
        """Plot the named series against time (days if longer than 3 days); save to ``path`` if given.

        ``marks``: points to mark, as (series, time_h, label, severity) - e.g. where a finding first reaches its
        worst severity (``lytes.reading.plot_marks``); a mark on a series not plotted is left out.
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        days = self.time_h[-1] > 72
        t = self.time_h / 24 if days else self.time_h
        n = len(names)
        cols = 2 if n > 1 else 1
        rows = (n + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 2.6 * rows), squeeze=False, sharex=True)
        for ax, name in zip(axes.flat, names):
            ax.plot(t, self.series[name], color="tab:blue")
            _style_axis(ax, name, self.units[name], [self.series[name]])
            taken: list = []
            for series, t_h, label, severity in marks:
                if series == name:
                    x, y = t_h / 24 if days else t_h, self.at(name, t_h)
                    _mark(ax, x, y, label, MARK_COLOUR.get(severity, "k"), taken)
        for ax in list(axes.flat)[n:]:
            ax.axis("off")
        for ax in axes[-1]:
            ax.set_xlabel("time [d]" if days else "time [h]")
        key = "\nMarkers: where a finding first reaches its worst severity (red urgent, orange warn)." if marks else ""
        fig.suptitle(f"{self.name}\n{NOTICE} Green: adult reference range.{key}", fontsize=9)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
            plt.close(fig)
        return fig


MARK_COLOUR = {"urgent": "tab:red", "warn": "tab:orange", "info": "tab:cyan"}


def _mark(ax, x: float, y: float, label: str, colour: str, taken: list) -> None:
    """A small marker at (x, y), with its label beside it unless a label in ``taken`` (this panel's so far) is
    close enough to overlap it."""
    ax.plot([x], [y], marker="v", color=colour, markersize=6, markeredgecolor="k", markeredgewidth=0.5, zorder=5)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    fx, fy = (x - x0) / ((x1 - x0) or 1), (y - y0) / ((y1 - y0) or 1)
    if any(abs(fx - a) < 0.2 and abs(fy - b) < 0.06 for a, b in taken):
        return
    taken.append((fx, fy))
    ax.annotate(label, (x, y), xytext=(3, 4), textcoords="offset points", fontsize=6, color=colour)


def _style_axis(ax, name: str, unit: str, values) -> None:
    """Shade the adult reference range, fit the limits to data and range, label with the unit."""
    lo = min(float(np.min(v)) for v in values)
    hi = max(float(np.max(v)) for v in values)
    if name in NORMAL_RANGE:
        a, b = NORMAL_RANGE[name]
        ax.axhspan(a, b, color="tab:green", alpha=0.12, lw=0)
        lo, hi = min(lo, a), max(hi, b)
    pad = max(0.05 * (hi - lo), 0.02 * max(abs(lo), abs(hi), 1e-9))
    ax.set_ylim(lo - pad, hi + pad)
    ax.ticklabel_format(axis="y", useOffset=False)
    ax.set_ylabel(f"{name} [{unit}]")
    ax.grid(alpha=0.3)


def _fraction(excreted, filtered):
    """Fractional excretion in %; 0 where nothing is filtered (an anuric kidney), never a division by zero."""
    filtered = np.asarray(filtered, dtype=float)
    return 100 * np.divide(excreted, filtered, out=np.zeros_like(filtered), where=filtered > 0)


def build_result(
    name: str, c: Compiled, p: np.ndarray, t: np.ndarray, Y: np.ndarray, U: np.ndarray, notes=(), context=None
) -> Result:
    a = dict(zip(c.layout.outputs, c.algebraic(Y, p, U)))
    s = {k: Y[i] for k, i in c.index.items()}
    series = {
        "K_serum": a["K_o"],
        "Mg_serum": a["Mg_tot"],
        "Mg_ionized": a["Mg_ion"],
        "Na_serum": a["Na_o"],
        "Ca_ionized": a["Ca_ion"],
        "Ca_total": a["Ca_tot"],
        "PTH": s["PTH"],
        "aldosterone": s["ALD"],
        "K_cell": a["K_i"],
        "Na_cell": a["Na_i"],
        "Mg_cell_free": a["Mg_i"],
        "K_urine_rate": a["K_urinary"],
        "Mg_urine_rate": a["Mg_urinary"],
        "Na_urine_rate": a["Na_urinary"],
        "Ca_urine_rate": a["Ca_urinary"],
        "FE_K": _fraction(a["K_urinary"], a["K_filtered"]),
        "FE_Mg": _fraction(a["Mg_urinary"], a["Mg_filtered"]),
        "FE_Na": _fraction(a["Na_urinary"], a["Na_filtered"]),
        "FE_Ca": _fraction(a["Ca_urinary"], a["Ca_filtered"]),
        "pump_activity": a["pump_capacity"],
        "romk_activity": a["romk_activity"],
        "membrane_potential": a["Em"],
        "excitability_margin": a["excitability_margin"],
        "ECF_volume": s["V_ecf"],
    }
    roles, ions = c.layout.state_roles, c.layout.state_ions
    balance = {}
    for ion in IONS:
        body = [i for i, (r, x) in enumerate(zip(roles, ions)) if x == ion and r == "body"]
        lumen = [i for i, (r, x) in enumerate(zip(roles, ions)) if x == ion and r == "lumen"]
        series[f"body_{ion}"] = Y[body].sum(axis=0)
        series[f"{ion}_urine"] = s[f"{ion}_urine"] - s[f"{ion}_urine"][0]
        series[f"{ion}_dialysis"] = s[f"{ion}_other"] - s[f"{ion}_other"][0]
        stores = Y[body + lumen].sum(axis=0)
        intake = -(s[f"{ion}_in"][-1] - s[f"{ion}_in"][0])
        urine = s[f"{ion}_urine"][-1] - s[f"{ion}_urine"][0]
        faeces = s[f"{ion}_faeces"][-1] - s[f"{ion}_faeces"][0]
        other = s[f"{ion}_other"][-1] - s[f"{ion}_other"][0]
        d_stores = stores[-1] - stores[0]
        balance[ion] = Balance(ion, intake, d_stores, urine, faeces, other, intake - d_stores - urine - faeces - other)
    ordered = {k: series[k] for k in SERIES}
    units = {k: SERIES[k][0] for k in SERIES}
    if "digoxin_serum" in a and np.any(a["digoxin_serum"] > 1e-6):  # only where digoxin is given
        ordered["digoxin_serum"], ordered["digoxin_pump_occupancy"] = a["digoxin_serum"], a["drug_pump_inhibition"]
        units |= {key: unit for key, (unit, _) in DIGOXIN_SERIES.items()}
    return Result(name, t, ordered, units, balance, list(notes), dict(context or {}))


@dataclass
class Comparison:
    """Arms of one scenario run side by side: each arm is a Result on the same patient and time grid."""

    name: str
    arms: dict[str, Result]
    descriptions: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, arm: str) -> Result:
        return self.arms[arm]

    @property
    def time_h(self) -> np.ndarray:
        return next(iter(self.arms.values())).time_h

    @property
    def units(self) -> dict[str, str]:
        return next(iter(self.arms.values())).units

    @property
    def balance(self) -> dict[str, Balance]:
        """The worst-closing arm's balance per ion (every arm's is in each Result)."""
        return {ion: max((r.balance[ion] for r in self.arms.values()), key=lambda b: b.relative_error) for ion in IONS}

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "notice": NOTICE,
            **provenance(),
            "units": {"time_h": "h", **self.units},
            "arms": {
                arm: {"description": self.descriptions.get(arm, ""), **r.arm_dict()} for arm, r in self.arms.items()
            },
        }

    def to_frame(self):
        import pandas as pd

        frames = []
        for arm, r in self.arms.items():
            f = r.to_frame()
            f.insert(0, "arm", arm)
            frames.append(f)
        frame = pd.concat(frames, ignore_index=True)
        frame.attrs["units"] = {"time_h": "h", **self.units}
        frame.attrs["notice"] = NOTICE
        return frame

    def to_csv(self, path) -> None:
        header = ["arm", "time_h"] + [f"{k} [{u}]" for k, u in self.units.items()]
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(f"# {self.name}. {NOTICE}\n")
            fh.write(",".join(header) + "\n")
            for arm, r in self.arms.items():
                data = np.column_stack([r.time_h] + [r.series[k] for k in self.units])
                for row in data:
                    fh.write(arm + "," + ",".join(f"{v:.10g}" for v in row) + "\n")

    def plot(
        self,
        path=None,
        names=("K_serum", "Mg_serum", "Ca_ionized", "K_cell", "K_urine_rate", "romk_activity"),
        marks=None,
        until_h=None,
    ):
        """All arms on one set of axes per quantity; save to ``path`` if given.

        ``marks``: {arm: [(series, time_h, label, severity), ...]}, drawn in the arm's colour on its curve.
        ``until_h``: show only the first hours (an emergency's time scale), in hours.
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        t = self.time_h
        shown = slice(None) if until_h is None else slice(0, int(np.searchsorted(t, until_h, side="right")))
        t = t[shown]
        days = t[-1] > 72
        x = t / 24 if days else t
        cols = 2
        rows = (len(names) + 1) // 2
        fig, axes = plt.subplots(rows, cols, figsize=(11, 2.6 * rows), squeeze=False, sharex=True)
        for ax, name in zip(axes.flat, names):
            values = [r.series[name][shown] for r in self.arms.values()]
            lines = [ax.plot(x, y, label=arm)[0] for arm, y in zip(self.arms, values)]
            _style_axis(ax, name, self.units[name], values)
            taken: list = []
            for (arm, r), line in zip(self.arms.items(), lines):
                for series, t_h, label, _severity in (marks or {}).get(arm, ()):
                    if series == name and (until_h is None or t_h <= until_h):
                        _mark(ax, t_h / 24 if days else t_h, r.at(name, t_h), label, line.get_color(), taken)
        for ax in list(axes.flat)[len(names) :]:
            ax.axis("off")
        axes.flat[0].legend(fontsize=8)
        for ax in axes[-1]:
            ax.set_xlabel("time [d]" if days else "time [h]")
        key = "\nMarkers: where a finding first reaches its worst severity in that arm." if marks else ""
        fig.suptitle(f"{self.name}: arms compared (simulations, not orders)\n{NOTICE}{key}", fontsize=9)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
            plt.close(fig)
        return fig

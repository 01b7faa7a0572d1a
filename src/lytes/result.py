"""Trajectories with names and units, mass balance, export (frame, CSV with a JSON sidecar, JSON, xarray), plots
and a notebook view.

Plots never touch matplotlib's backend or pyplot's state: a plot saved to a file is drawn on a standalone
``matplotlib.figure.Figure``, and ``plot(ax=...)`` draws into the caller's axes (or figure), so Jupyter's inline
plots keep working.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .engine.codegen import Compiled
from .summary import range_row, when

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


def stamp() -> str:
    """``lytes 0.1.0, model 1a2b3c4d5e6f``: the line every output carries (summary, plot title, metadata)."""
    p = provenance()
    return f"lytes {p['lytes_version']}, model {p['model']}"


def scenario_data(scenario) -> dict:
    """A Scenario as JSON-ready data, as written (aliases such as ``for``) with the defaults it was run with; it
    loads back with ``lytes.simulate(data)``."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_none=True)


def sidecar_path(csv_path) -> Path:
    """Where ``to_csv(path)`` puts its metadata: ``out.csv`` -> ``out.csv.json``."""
    return Path(f"{os.fspath(csv_path)}.json")


# the serum series shown in a notebook summary, with their print formats
HTML_ROWS = {
    "K_serum": "{:.2f}",
    "Mg_serum": "{:.2f}",
    "Mg_ionized": "{:.2f}",
    "Ca_ionized": "{:.2f}",
    "Ca_total": "{:.2f}",
    "Na_serum": "{:.1f}",
    "PTH": "{:.1f}",
}


_HTML_STYLE = "border-collapse:collapse;font-size:90%"
_CELL = "padding:1px 6px;text-align:{}"


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    """A compact HTML table; first column left-aligned, the rest right-aligned. Cells are escaped."""
    out = [f'<table style="{_HTML_STYLE}">']
    align = ["left"] + ["right"] * (len(header) - 1)
    out.append("<tr>" + "".join(f"<th style='{_CELL.format(a)}'>{html.escape(h)}</th>" for h, a in zip(header, align)))
    for row in rows:
        out.append("<tr>" + "".join(f"<td style='{_CELL.format(a)}'>{html.escape(c)}</td>" for c, a in zip(row, align)))
    out.append("</table>")
    return "".join(out)


def _html_footer(notes: list[str]) -> str:
    parts = []
    if notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        parts.append(f"<details><summary>notes ({len(notes)})</summary><ul>{items}</ul></details>")
    parts.append(f"<p><i>{html.escape(NOTICE)}</i><br><small>{html.escape(stamp())}</small></p>")
    return "".join(parts)


def _severity_html(severity: str) -> str:
    colour = {"urgent": "#c00", "warn": "#b60", "info": "#08a"}.get(severity, "#000")
    return f"<b style='color:{colour}'>{html.escape(severity)}</b>"


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
    # the scenario as run, as data (``scenario_data``); carried into the JSON, the CSV sidecar and to_xarray
    scenario: dict | None = None

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

    def to_csv(self, path, sidecar: bool = True) -> None:
        """A plain CSV: one header row (``time_h``, then ``name [unit]``), then the data - nothing else, so
        ``pandas.read_csv(path)`` reads it as it is; numbers are written so they read back exactly. With ``sidecar``
        the metadata (notice, units, lytes version, model, the scenario as run) go to ``path + ".json"``."""
        frame = self.to_frame()[["time_h", *self.units]]
        frame.columns = ["time_h"] + [f"{k} [{u}]" for k, u in self.units.items()]
        frame.to_csv(path, index=False, lineterminator="\n")  # floats as their shortest exact text
        if sidecar:
            self.write_sidecar(sidecar_path(path), Path(os.fspath(path)).name)

    def csv_metadata(self, csv_name: str | None = None) -> dict:
        """What the CSV's numbers need to be read: the notice, the version and model that produced them, each
        column's unit, the scenario as run, and the run's notes."""
        header = ["time_h"] + [f"{k} [{u}]" for k, u in self.units.items()]
        return _metadata(self.name, csv_name, header, {"time_h": "h", **self.units}, self.scenario) | {
            "notes": list(self.notes)
        }

    def write_sidecar(self, path, csv_name: str | None = None) -> None:
        """Write ``csv_metadata`` as JSON to ``path``."""
        Path(path).write_text(json.dumps(self.csv_metadata(csv_name), indent=1) + "\n", encoding="utf-8")

    def to_xarray(self):
        """An ``xarray.Dataset`` over ``time_h``: one variable per series with its ``units`` and ``long_name``; the
        notice, lytes version, model, notes and the scenario as run (JSON text) are attributes."""
        import xarray as xr

        data = {k: ("time_h", v, _var_attrs(k, self.units[k])) for k, v in self.series.items()}
        coords = {"time_h": ("time_h", self.time_h, {"units": "h", "long_name": "time"})}
        return xr.Dataset(data, coords=coords, attrs=_dataset_attrs(self.name, self.notes, self.scenario))

    def _repr_html_(self) -> str:
        """A compact notebook summary: the main serum series (start, lowest, highest, end with units), mass balance,
        the findings over the run, notes, and the notice."""
        from .reading import worst_findings

        t, duration = self.time_h, float(self.time_h[-1])
        rows = []
        for name, fmt in HTML_ROWS.items():
            if name not in self.series:
                continue
            rows.append(range_row(self, name, fmt))
        out = [
            f"<div><b>{html.escape(self.name)}</b> ({when(duration, duration)}, {len(t)} points)",
            _html_table(["quantity", "unit", "start", "lowest (at)", "highest (at)", "end"], rows),
            _balance_html(self.balance),
        ]
        found = worst_findings(self)
        if found:
            items = "".join(
                f"<li>{_severity_html(f.severity)} {html.escape(f.code)} at t = {when(f.time_h, duration)}: "
                f"{html.escape(f.summary)} ("
                + (f"still {html.escape(f.at_end)} at the end" if f.at_end else f"until {when(f.last_h, duration)}")
                + ")</li>"
                for f in found
            )
            out.append(f"<p>findings over the run (worst severity, first reached at t):</p><ul>{items}</ul>")
        else:
            out.append("<p>no findings over the run</p>")
        out.append(_html_footer(self.notes) + "</div>")
        return "".join(out)

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
            "scenario": self.scenario,
            "arms": {"main": self.arm_dict()},
        }

    def plot(
        self,
        path=None,
        names=("K_serum", "Mg_serum", "Ca_ionized", "Na_serum", "K_cell", "romk_activity"),
        marks=(),
        ax=None,
    ):
        """Plot the named series against time (days if longer than 3 days); save to ``path`` if given. Returns the
        matplotlib Figure.

        ``ax``: draw into the caller's axes - one Axes per name (an Axes, a list or an array of them) - or into the
        caller's Figure (or SubFigure), which gets a grid of panels. Without ``ax`` a standalone Figure is made
        (never through pyplot, and matplotlib's backend is never changed): in Jupyter it shows as the cell's value.
        ``marks``: points to mark, as (series, time_h, label, severity) - e.g. where a finding first reaches its
        worst severity (``lytes.reading.plot_marks``); a mark on a series not plotted is left out.
        """
        names = (names,) if isinstance(names, str) else tuple(names)
        for name in names:
            if name not in self.series:
                from .errors import InputError

                raise InputError("names", name, f"series of this result ({', '.join(self.series)})")
        days = self.time_h[-1] > 72
        t = self.time_h / 24 if days else self.time_h
        cols = 2 if len(names) > 1 else 1
        fig, axes, owned = _panels(ax, names, cols, (5.5 * cols, 2.6 * ((len(names) + cols - 1) // cols)))
        for a, name in zip(axes, names):
            a.plot(t, self.series[name], color="tab:blue")
            _style_axis(a, name, self.units[name], [self.series[name]])
            taken: list = []
            for series, t_h, label, severity in marks:
                if series == name:
                    x, y = t_h / 24 if days else t_h, self.at(name, t_h)
                    _mark(a, x, y, label, MARK_COLOUR.get(severity, "k"), taken)
        key = "\nMarkers: where a finding first reaches its worst severity (red urgent, orange warn)." if marks else ""
        title = f"{self.name} ({stamp()})\n{NOTICE} Green: adult reference range.{key}"
        _finish(fig, axes, len(names), cols, owned, "time [d]" if days else "time [h]", title)
        if path is not None:
            _save(fig, path, self.name)
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


def _panels(ax, names: tuple, cols: int, figsize: tuple):
    """(figure, one Axes per name, whether lytes laid the figure out) - from the caller's ``ax`` (Axes, a sequence of
    them, or a Figure/SubFigure to fill) or a new standalone Figure. pyplot is never used."""
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, FigureBase

    from .errors import InputError

    rows = (len(names) + cols - 1) // cols
    if ax is None or isinstance(ax, FigureBase):
        fig = Figure(figsize=figsize) if ax is None else ax
        grid = fig.subplots(rows, cols, squeeze=False, sharex=True)
        return fig, list(grid.flat), True
    given = list(np.asarray(ax, dtype=object).flat)
    if not all(isinstance(a, Axes) for a in given):
        raise InputError("ax", type(ax).__name__, "a matplotlib Axes, a list or array of Axes, or a Figure")
    if len(given) < len(names):
        raise InputError(
            "ax", f"{len(given)} axes", f"one Axes per series plotted ({len(names)}: {', '.join(names)}), or a Figure"
        )
    return given[0].figure, given[: len(names)], False


def _finish(fig, axes: list, n: int, cols: int, owned: bool, xlabel: str, title: str) -> None:
    """Label the time axes; on a figure lytes laid out, also hide unused panels, add the title and tighten it.
    The caller's own axes get their x labels and nothing else: their figure stays theirs."""
    if not owned:
        for a in axes:
            a.set_xlabel(xlabel)
        return
    for a in axes[n:]:
        a.axis("off")
    for a in axes[(len(axes) - 1) // cols * cols :]:  # the bottom row
        a.set_xlabel(xlabel)
    fig.suptitle(title, fontsize=9)
    if hasattr(fig, "tight_layout") and fig.get_layout_engine() is None:
        fig.tight_layout()


def _save(fig, path, title: str) -> None:
    """Save with the notice, lytes version and model in the file's metadata (PNG, PDF and SVG)."""
    where = os.fspath(path) if isinstance(path, (str, os.PathLike)) else ""
    suffix = Path(where).suffix.lower()
    text = f"{NOTICE} {stamp()}"
    metadata = {
        ".png": {"Title": title, "Description": text, "Software": stamp()},
        ".pdf": {"Title": title, "Subject": text, "Creator": stamp()},
        ".svg": {"Title": title, "Description": text, "Creator": stamp()},
    }.get(suffix)
    from matplotlib.figure import SubFigure

    root = fig.figure if isinstance(fig, SubFigure) else fig  # a SubFigure is saved with its whole Figure
    root.savefig(path, dpi=110, metadata=metadata)


def _metadata(name: str, csv_name: str | None, columns: list[str], units: dict, scenario: dict | None) -> dict:
    return {
        "name": name,
        "notice": NOTICE,
        **provenance(),
        "csv": csv_name,
        "columns": columns,
        "units": units,
        "scenario": scenario,
    }


def _var_attrs(name: str, unit: str) -> dict:
    description = (SERIES.get(name) or DIGOXIN_SERIES.get(name) or (unit, name))[1]
    return {"units": unit, "long_name": description}


def _dataset_attrs(name: str, notes: list[str], scenario: dict | None) -> dict:
    """Dataset attributes as text and numbers only, so ``to_netcdf`` can write them."""
    attrs = {"name": name, "notice": NOTICE, **provenance(), "notes": "\n".join(notes)}
    if scenario is not None:
        attrs["scenario"] = json.dumps(scenario)
    return attrs


def _balance_html(balance: dict) -> str:
    if not balance:
        return ""
    worst = max(b.relative_error for b in balance.values())
    parts = "; ".join(
        f"{ion}: in {b.intake:.1f}, urine {b.urine:.1f}, stool {b.faeces:.1f}"
        + (f", dialysis {b.other:.1f}" if abs(b.other) > 0.05 else "")
        + f", stores {b.stores_change:+.1f}"
        for ion, b in balance.items()
    )
    return f"<p><small>mass balance (mmol) {html.escape(parts)}; worst relative error {worst:.1e}</small></p>"


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
    scenario: dict | None = None  # the scenario as run, as data (``scenario_data``)

    def __getitem__(self, arm: str) -> Result:
        return self.arms[arm]

    @property
    def time_h(self) -> np.ndarray:
        return next(iter(self.arms.values())).time_h

    @property
    def units(self) -> dict[str, str]:
        """Every series of any arm with its unit (a drug's own series may exist in some arms only)."""
        out: dict[str, str] = {}
        for r in self.arms.values():
            out |= {k: u for k, u in r.units.items() if k not in out}
        return out

    def _column(self, r: Result, name: str) -> np.ndarray:
        return r.series[name] if name in r.series else np.full(len(r.time_h), np.nan)

    @property
    def notes(self) -> list[str]:
        """Every arm's notes once, each prefixed by its arm where not all arms share it."""
        out: list[str] = []
        for arm, r in self.arms.items():
            for note in r.notes:
                shared = all(note in other.notes for other in self.arms.values())
                text = note if shared else f"[{arm}] {note}"
                if text not in out:
                    out.append(text)
        return out

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
            "scenario": self.scenario,
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

    def to_csv(self, path, sidecar: bool = True) -> None:
        """A plain long CSV: one header row (``arm``, ``time_h``, then ``name [unit]``), then every arm's rows - no
        comment lines, so ``pandas.read_csv(path)`` reads it as it is. A series an arm lacks is empty (NaN). With
        ``sidecar`` the metadata go to ``path + ".json"`` (see Result.to_csv)."""
        units = self.units
        frame = self.to_frame()[["arm", "time_h", *units]]  # a series an arm lacks is NaN there
        frame.columns = ["arm", "time_h"] + [f"{k} [{u}]" for k, u in units.items()]
        frame.to_csv(path, index=False, lineterminator="\n")
        if sidecar:
            self.write_sidecar(sidecar_path(path), Path(os.fspath(path)).name)

    def csv_metadata(self, csv_name: str | None = None) -> dict:
        """The notice, version, model, units, the scenario as run, and each arm's description and notes."""
        units = self.units
        header = ["arm", "time_h"] + [f"{k} [{u}]" for k, u in units.items()]
        return _metadata(self.name, csv_name, header, {"arm": "", "time_h": "h", **units}, self.scenario) | {
            "arms": {
                arm: {"description": self.descriptions.get(arm, ""), "notes": r.notes} for arm, r in self.arms.items()
            }
        }

    def write_sidecar(self, path, csv_name: str | None = None) -> None:
        Path(path).write_text(json.dumps(self.csv_metadata(csv_name), indent=1) + "\n", encoding="utf-8")

    def to_xarray(self):
        """An ``xarray.Dataset`` over (``arm``, ``time_h``), one variable per series (NaN where an arm lacks it),
        with units; each arm's description is in the ``description`` coordinate."""
        import xarray as xr

        arms = list(self.arms)
        data = {
            k: (("arm", "time_h"), np.vstack([self._column(r, k) for r in self.arms.values()]), _var_attrs(k, u))
            for k, u in self.units.items()
        }
        coords = {
            "arm": ("arm", arms),
            "time_h": ("time_h", self.time_h, {"units": "h", "long_name": "time"}),
            "description": ("arm", [self.descriptions.get(a, "") for a in arms]),
        }
        notes = list(dict.fromkeys(n for r in self.arms.values() for n in r.notes))
        return xr.Dataset(data, coords=coords, attrs=_dataset_attrs(self.name, notes, self.scenario))

    def _repr_html_(self) -> str:
        """A compact notebook summary: the main serum series at the start and in each arm (end, lowest-highest),
        mass balance, the findings by arm, and the notice."""
        from .reading import findings_by_arm

        duration = float(self.time_h[-1])
        rows = []
        for name, fmt in HTML_ROWS.items():
            if not all(name in r.series for r in self.arms.values()):
                continue
            first = next(iter(self.arms.values())).series[name]
            cells = [
                f"{fmt.format(r.series[name][-1])} ({fmt.format(np.min(r.series[name]))}-"
                f"{fmt.format(np.max(r.series[name]))})"
                for r in self.arms.values()
            ]
            rows.append([name, self.units[name], fmt.format(first[0]), *cells])
        header = ["quantity", "unit", "start", *(f"{arm}: end (lowest-highest)" for arm in self.arms)]
        worst = max(b.relative_error for r in self.arms.values() for b in r.balance.values())
        out = [
            f"<div><b>{html.escape(self.name)}</b>: {len(self.arms)} arms, {when(duration, duration)} "
            "(simulations, not orders)",
            _html_table(header, rows),
        ]
        described = [(arm, text) for arm, text in self.descriptions.items() if text]
        if described:
            out.append(
                "<ul>" + "".join(f"<li><b>{html.escape(a)}</b>: {html.escape(t)}</li>" for a, t in described) + "</ul>"
            )
        out.append(f"<p><small>mass balance closes in every arm (worst relative error {worst:.1e})</small></p>")
        found = findings_by_arm(self)
        codes = list(dict.fromkeys(f.code for fs in found.values() for f in fs))
        if codes:
            by_code = {arm: {f.code: f for f in fs} for arm, fs in found.items()}
            table = [f'<table style="{_HTML_STYLE}"><tr><th style="{_CELL.format("left")}">finding</th>']
            table += [f"<th style='{_CELL.format('right')}'>{html.escape(arm)}</th>" for arm in found]
            for code in codes:
                table.append(f"<tr><td style='{_CELL.format('left')}'>{html.escape(code)}</td>")
                for arm in found:
                    f = by_code[arm].get(code)
                    cell = "-" if f is None else f"{_severity_html(f.severity)} @ {when(f.time_h, duration)}"
                    table.append(f"<td style='{_CELL.format('right')}'>{cell}</td>")
            table.append("</table>")
            out.append("<p>findings by arm (worst severity @ first reached):</p>" + "".join(table))
        else:
            out.append("<p>no findings in any arm</p>")
        notes = list(dict.fromkeys(n for r in self.arms.values() for n in r.notes))
        out.append(_html_footer(notes) + "</div>")
        return "".join(out)

    def plot(
        self,
        path=None,
        names=("K_serum", "Mg_serum", "Ca_ionized", "K_cell", "K_urine_rate", "romk_activity"),
        marks=None,
        until_h=None,
        ax=None,
    ):
        """All arms on one set of axes per quantity; save to ``path`` if given. Returns the matplotlib Figure.

        ``ax``: the caller's axes (one per name) or Figure, as in Result.plot; never pyplot, never the backend.
        ``marks``: {arm: [(series, time_h, label, severity), ...]}, drawn in the arm's colour on its curve.
        ``until_h``: show only the first hours (an emergency's time scale), in hours.
        """
        names = (names,) if isinstance(names, str) else tuple(names)
        for name in names:
            if not all(name in r.series for r in self.arms.values()):
                from .errors import InputError

                raise InputError("names", name, "series every arm has (see Comparison.units)")
        t = self.time_h
        shown = slice(None) if until_h is None else slice(0, int(np.searchsorted(t, until_h, side="right")))
        t = t[shown]
        days = t[-1] > 72
        x = t / 24 if days else t
        fig, axes, owned = _panels(ax, names, 2, (11, 2.6 * ((len(names) + 1) // 2)))
        for a, name in zip(axes, names):
            values = [r.series[name][shown] for r in self.arms.values()]
            lines = [a.plot(x, y, label=arm)[0] for arm, y in zip(self.arms, values)]
            _style_axis(a, name, self.units[name], values)
            taken: list = []
            for (arm, r), line in zip(self.arms.items(), lines):
                for series, t_h, label, _severity in (marks or {}).get(arm, ()):
                    if series == name and (until_h is None or t_h <= until_h):
                        _mark(a, t_h / 24 if days else t_h, r.at(name, t_h), label, line.get_color(), taken)
        axes[0].legend(fontsize=8)
        key = "\nMarkers: where a finding first reaches its worst severity in that arm." if marks else ""
        title = f"{self.name}: arms compared (simulations, not orders; {stamp()})\n{NOTICE}{key}"
        _finish(fig, axes, len(names), 2, owned, "time [d]" if days else "time [h]", title)
        if path is not None:
            _save(fig, path, self.name)
        return fig

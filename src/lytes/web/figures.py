"""Plotly figures (as JSON data, drawn in the browser by the vendored plotly.js) and the tables of a run."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..result import NORMAL_RANGE
from ..summary import SUMMARY as BASE_SUMMARY
from ..summary import range_row

PANELS = ("K_serum", "Mg_serum", "Ca_ionized", "Na_serum", "K_cell", "romk_activity")
EXTRA_PANELS = ("digoxin_serum", "digoxin_pump_occupancy")
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
SEVERITY_COLOUR = {"urgent": "#c00000", "warn": "#d97700", "info": "#0077aa"}

# therapeutic and toxic bands (mmol/L unless said), each with its source, shaded on the panels
THERAPEUTIC = {
    "Mg_serum": (2.0, 3.5, "MgSO4 seizure prophylaxis 2.0-3.5 mmol/L (4.8-8.4 mg/dL; Euser & Cipolla, Stroke 2009)"),
    "digoxin_serum": (0.5, 0.9, "digoxin 0.5-0.9 ng/mL (Rathore et al., JAMA 2003)"),
}
TOXIC = {
    "K_serum": (6.5, "K >= 6.5 mmol/L: severe hyperkalaemia (UK Kidney Association 2020)"),
    "Mg_serum": (3.5, "Mg >= 3.5 mmol/L: reflexes lost (Euser & Cipolla, Stroke 2009)"),
    "digoxin_serum": (2.0, "digoxin > 2.0 ng/mL: toxicity likely"),
}
SUMMARY = BASE_SUMMARY + [("digoxin_serum", "{:.2f}"), ("K_dialysis", "{:.0f}")]
MAX_MARKERS = 300


def arms_of(result) -> dict:
    return dict(result.arms) if hasattr(result, "arms") else {"main": result}


def _hours(text) -> float | None:
    from ..units import parse

    try:
        return parse(text, "at", "h")
    except (InputError, TypeError):
        return None


def dose_times(items: list[dict], duration_h: float) -> list[tuple[float, str]]:
    """(time h, label) of each dose or infusion start among scenario interventions (``give``), repeats included."""
    out = []
    for iv in items or []:
        if not isinstance(iv, dict) or not iv.get("give") or iv.get("event"):
            continue
        at = _hours(iv.get("at", "0 h"))
        if at is None:
            continue
        amount = iv.get("dose") or (f"{iv['rate']}" if iv.get("rate") else "")
        label = " ".join(str(x) for x in (iv["give"], iv.get("route") or "", amount) if x)
        every, span = _hours(iv.get("every")), _hours(iv.get("for"))
        times = [at]
        if every and span and every > 0:
            times = list(np.arange(at, min(at + span, duration_h), every))
        out += [(float(t), label) for t in times[:MAX_MARKERS] if t <= duration_h]
    return out[:MAX_MARKERS]


def arm_doses(scenario: dict | None, arm: str, duration_h: float) -> list[tuple[float, str]]:
    scenario = scenario or {}
    items = list(scenario.get("interventions") or [])
    if arm != "main":
        items += list(((scenario.get("arms") or {}).get(arm) or {}).get("interventions") or [])
    return dose_times(items, duration_h)


def gives_mgso4(scenario: dict | None) -> bool:
    from ..scenario.vocabulary import lookup

    items = list((scenario or {}).get("interventions") or [])
    for arm in ((scenario or {}).get("arms") or {}).values():
        items += list((arm or {}).get("interventions") or [])
    return any(isinstance(iv, dict) and lookup(iv.get("give") or "") == ("product", "mgso4") for iv in items)


def figures(result, findings: dict, names=None) -> list[dict]:
    """One plotly figure per panel: each arm's curve, the reference, therapeutic and toxic bands, dose markers (arm
    colour, at the foot of the panel) and where each urgent or warn finding first reaches its worst severity."""
    from ..reading import plot_marks

    arms = arms_of(result)
    first = next(iter(arms.values()))
    t_h = first.time_h
    days = float(t_h[-1]) > 72
    scale = 24.0 if days else 1.0
    x_unit = "d" if days else "h"
    if names is None:
        names = [n for n in PANELS if n in first.series]
        names += [n for n in EXTRA_PANELS if all(n in r.series for r in arms.values())]
    therapeutic = dict(THERAPEUTIC)
    if not gives_mgso4(result.scenario):
        therapeutic.pop("Mg_serum")
    out = []
    for name in names:
        unit = first.units[name]
        data, shapes = [], []
        lo_all = min(float(np.nanmin(r.series[name])) for r in arms.values())
        hi_all = max(float(np.nanmax(r.series[name])) for r in arms.values())
        if name in NORMAL_RANGE:
            lo, hi = NORMAL_RANGE[name]
            shapes.append(_band(lo, hi, "rgba(40,160,60,0.15)"))
            data.append(_legend("reference range", "rgba(40,160,60,0.5)", f"{lo:g}-{hi:g} {unit}"))
        if name in therapeutic:
            lo, hi, text = therapeutic[name]
            shapes.append(_band(lo, hi, "rgba(30,100,220,0.13)"))
            data.append(_legend("therapeutic", "rgba(30,100,220,0.5)", text))
        if name in TOXIC:
            lo, text = TOXIC[name]
            top = max(hi_all, lo) * 1.15 + 0.1
            shapes.append(_band(lo, top, "rgba(220,30,30,0.10)"))
            data.append(_legend("toxic", "rgba(220,30,30,0.5)", text))
        for k, (arm, r) in enumerate(arms.items()):
            colour = COLOURS[k % len(COLOURS)]
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": arm,
                    "x": [round(float(v) / scale, 5) for v in r.time_h],
                    "y": [None if not np.isfinite(v) else round(float(v), 5) for v in r.series[name]],
                    "line": {"color": colour, "width": 2},
                    "hovertemplate": f"{arm}: %{{y:.3g}} {unit} at %{{x:.3g}} {x_unit}<extra></extra>",
                }
            )
            doses = arm_doses(result.scenario, arm, float(t_h[-1]))
            if doses:
                data.append(
                    {
                        "type": "scatter",
                        "mode": "markers",
                        "name": f"doses ({arm})" if len(arms) > 1 else "doses",
                        "x": [round(t / scale, 5) for t, _ in doses],
                        "y": [lo_all for _ in doses],
                        "text": [label for _, label in doses],
                        "marker": {"symbol": "line-ns-open", "size": 12, "color": colour, "line": {"width": 2}},
                        "hovertemplate": f"%{{text}} at %{{x:.3g}} {x_unit}<extra>dose</extra>",
                    }
                )
            marks = [m for m in plot_marks(findings.get(arm, [])) if m[0] == name]
            if marks:
                data.append(
                    {
                        "type": "scatter",
                        "mode": "markers",
                        "name": f"findings ({arm})" if len(arms) > 1 else "findings",
                        "x": [round(t / scale, 5) for _, t, _, _ in marks],
                        "y": [r.at(name, t) for _, t, _, _ in marks],
                        "text": [f"{sev}: {label}" for _, _, label, sev in marks],
                        "marker": {
                            "symbol": "triangle-up",
                            "size": 11,
                            "color": [SEVERITY_COLOUR.get(sev, "#333") for *_, sev in marks],
                            "line": {"color": colour, "width": 1.5},
                        },
                        "hovertemplate": f"%{{text}} at %{{x:.3g}} {x_unit}<extra></extra>",
                    }
                )
        from ..result import SERIES

        label = SERIES.get(name, (unit, name))[1]
        out.append(
            {
                "id": f"plot-{name}",
                "name": name,
                "title": f"{label} ({name}, {unit})",
                "figure": {
                    "data": data,
                    "layout": {
                        "title": {"text": f"{label} [{unit}]", "font": {"size": 14}},
                        "xaxis": {"title": {"text": f"time [{x_unit}]", "standoff": 4}, "zeroline": False},
                        "yaxis": {"title": {"text": f"{name} [{unit}]"}, "zeroline": False},
                        "shapes": shapes,
                        "margin": {"l": 60, "r": 10, "t": 40, "b": 40},
                        "height": 340,
                        "legend": {"orientation": "h", "y": -0.2, "yanchor": "top", "font": {"size": 11}},
                        "hovermode": "closest",
                    },
                },
            }
        )
    return out


def _band(lo: float, hi: float, colour: str) -> dict:
    return {
        "type": "rect",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": lo,
        "y1": hi,
        "fillcolor": colour,
        "line": {"width": 0},
        "layer": "below",
    }


def _legend(name: str, colour: str, text: str) -> dict:
    """A legend entry for a band (the band itself is a layout shape)."""
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [None],
        "y": [None],
        "marker": {"symbol": "square", "size": 12, "color": colour},
        "hoverinfo": "skip",
        "legendgroup": name,
        "meta": text,
    }


def summary_rows(result) -> tuple[list[str], list[list[str]]]:
    """The summary table: start, lowest (at), highest (at), end - or, with arms, each arm's end (lowest-highest)."""
    arms = arms_of(result)
    first = next(iter(arms.values()))
    rows = []
    names = [(n, f) for n, f in SUMMARY if all(n in r.series for r in arms.values())]
    if "K_dialysis" in dict(names) and max(float(np.abs(r.series["K_dialysis"]).max()) for r in arms.values()) < 0.5:
        names = [(n, f) for n, f in names if n != "K_dialysis"]
    if len(arms) == 1 and not hasattr(result, "arms"):
        header = ["quantity", "unit", "start", "lowest (at)", "highest (at)", "end"]
        rows = [range_row(first, name, fmt) for name, fmt in names]
        return header, rows
    header = ["quantity", "unit", "start"] + [f"{arm}: end (lowest-highest)" for arm in arms]
    for name, fmt in names:
        cells = [name, first.units[name], fmt.format(first.series[name][0])]
        for r in arms.values():
            y = r.series[name]
            cells.append(f"{fmt.format(y[-1])} ({fmt.format(np.min(y))}-{fmt.format(np.max(y))})")
        rows.append(cells)
    return header, rows


def balance_rows(result) -> list[list[str]]:
    rows = []
    for arm, r in arms_of(result).items():
        for ion, b in r.balance.items():
            rows.append(
                [
                    arm,
                    ion,
                    f"{b.intake:.1f}",
                    f"{b.urine:.1f}",
                    f"{b.faeces:.1f}",
                    f"{b.other:.1f}",
                    f"{b.stores_change:+.1f}",
                    f"{b.relative_error:.1e}",
                ]
            )
    return rows


def options_figures(options, chosen) -> list[dict]:
    """Figures of the simulated options of an assessment (every option an arm)."""
    urgent = min(chosen.times_h) < 1
    names = (
        [chosen.primary, "Ca_ionized", "excitability_margin"]
        if urgent
        else ["K_serum", "Mg_serum", "Ca_ionized", "K_cell"]
    )
    names = list(dict.fromkeys(n for n in names if n in next(iter(options.arms.values())).series))
    return figures(options, {}, names)

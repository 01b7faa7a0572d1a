"""The rows of a run's summary (the CLI's table, the web page's, the notebook's): series and how each is printed."""

SUMMARY = [
    ("K_serum", "{:.2f}"),
    ("Mg_serum", "{:.2f}"),
    ("Mg_ionized", "{:.2f}"),
    ("Ca_ionized", "{:.2f}"),
    ("Ca_total", "{:.2f}"),
    ("Na_serum", "{:.1f}"),
    ("PTH", "{:.1f}"),
    ("aldosterone", "{:.0f}"),
    ("K_cell", "{:.1f}"),
    ("Na_cell", "{:.1f}"),
    ("Mg_cell_free", "{:.3f}"),
    ("FE_K", "{:.1f}"),
    ("FE_Mg", "{:.1f}"),
    ("pump_activity", "{:.3f}"),
    ("romk_activity", "{:.3f}"),
    ("membrane_potential", "{:.1f}"),
    ("excitability_margin", "{:.1f}"),
    ("body_K", "{:.0f}"),
    ("body_Mg", "{:.0f}"),
]


def when(t_h: float, duration_h: float) -> str:
    """A time as a summary shows it: hours for runs up to 3 days, days beyond."""
    return f"{t_h:.1f} h" if duration_h <= 72 else f"{t_h / 24:.1f} d"


def range_row(result, name: str, fmt: str) -> list[str]:
    """One series' row: quantity, unit, start, lowest (at), highest (at), end."""
    import numpy as np

    y, t = result.series[name], result.time_h
    duration = float(t[-1])
    lo, hi = int(np.argmin(y)), int(np.argmax(y))
    return [
        name,
        result.units[name],
        fmt.format(y[0]),
        f"{fmt.format(y[lo])} ({when(t[lo], duration)})",
        f"{fmt.format(y[hi])} ({when(t[hi], duration)})",
        fmt.format(y[-1]),
    ]

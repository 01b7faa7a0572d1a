"""Findings over a simulated run: the worst severity each finding code reaches, and when it first reaches it.

The run's serum K, total Mg, Na and ionized Ca are read at its output points (at most ``MAX_POINTS`` of them, with
each series' lowest and highest point always among them) by :func:`~lytes.reading.assess.assess_values`, with the
run's ``context``: the medications and products given, the conditions and the baseline eGFR. For each code the
worst severity wins (urgent > warn > info); its time is the first point at that severity, and its summary and values
are those of that point. ``last_h`` is the last point the code is read at all and ``at_end`` its severity at the
run's end (None: resolved), so arms that reach the same worst can be told apart by how long it lasts. For education, research and decision support; not a prescription.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assess import Finding, assess_values

SEVERITY = ("info", "warn", "urgent")  # mildest first
READ = {"K": "K_serum", "Mg": "Mg_serum", "Na": "Na_serum", "iCa": "Ca_ionized"}  # lab -> the run's series
MAX_POINTS = 1500
# the panel a finding is marked on in a plot
PANEL = {
    "hypokalemia": "K_serum",
    "hyperkalemia": "K_serum",
    "ecg_potassium": "K_serum",
    "drugs_raise_k": "K_serum",
    "beta_blocker_hyperkalemia_risk": "K_serum",
    "mg_deficiency_refractory_hypokalemia": "K_serum",
    "diuretic_depletion": "K_serum",
    "hypomagnesemia": "Mg_serum",
    "hypermagnesemia": "Mg_serum",
    "mg_prophylaxis_level": "Mg_serum",
    "mg_toxicity": "Mg_serum",
    "hypermagnesemia_renal_risk": "Mg_serum",
    "hypocalcemia": "Ca_ionized",
    "hypercalcemia": "Ca_ionized",
    "hyponatremia": "Na_serum",
    "hypernatremia": "Na_serum",
}


@dataclass
class RunFinding:
    """One finding code at the worst severity it reaches in a run, and the first time (h) it is at it."""

    code: str
    severity: str
    time_h: float
    summary: str
    values: dict
    finding: Finding  # the full reading at that time (mechanism, consider, sources)
    last_h: float = 0.0  # the last time (h) the code is read, at any severity
    at_end: str | None = None  # its severity at the end of the run; None where it has resolved

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "time_h": round(self.time_h, 3),
            "summary": self.summary,
            "values": _plain(self.values),
            "last_h": round(self.last_h, 3),
            "at_end": self.at_end,
        }


def _plain(value):
    """JSON-ready: numpy numbers as rounded floats, containers walked."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return round(float(value), 4)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _points(result, every_h: float | None) -> list[int]:
    """Indices of the output points to read: every one up to MAX_POINTS (or one each ``every_h``), plus each read
    series' lowest and highest point, so a peak is never stepped over."""
    t = result.time_h
    n = len(t)
    if every_h:
        step = max(1, int(round(every_h / max(float(np.median(np.diff(t))), 1e-9)))) if n > 1 else 1
    else:
        step = max(1, int(np.ceil(n / MAX_POINTS)))
    idx = set(range(0, n, step)) | {n - 1}
    for name in READ.values():
        y = result.series[name]
        idx |= {int(np.argmin(y)), int(np.argmax(y))}
    return sorted(idx)


def _run_findings(result, every_h: float | None = None) -> list[RunFinding]:
    context = getattr(result, "context", None) or {}
    meds, conditions, egfr = context.get("meds", ()), context.get("conditions", ()), context.get("egfr")
    series = {lab: np.asarray(result.series[name], dtype=float) for lab, name in READ.items()}
    worst: dict[str, RunFinding] = {}
    points = _points(result, every_h)
    for i in points:
        t = float(result.time_h[i])
        values = {lab: float(y[i]) for lab, y in series.items()}
        for f in assess_values(values, meds=meds, conditions=conditions, egfr=egfr).findings:
            if f.code == "check_magnesium":  # a run always measures Mg
                continue
            held = worst.get(f.code)
            if held is None or SEVERITY.index(f.severity) > SEVERITY.index(held.severity):
                worst[f.code] = held = RunFinding(f.code, f.severity, t, f.summary, f.values, f)
            held.last_h = t
            held.at_end = f.severity if i == points[-1] else None
    return sorted(worst.values(), key=lambda r: (-SEVERITY.index(r.severity), r.time_h, r.code))


def worst_findings(run, every_h: float | None = None):
    """The worst severity of each finding code over a run, with the time it is first reached at that severity.

    Parameters
    ----------
    run : Result or Comparison
        From :func:`lytes.simulate`.
    every_h : float, optional
        Read one output point each ``every_h`` hours (default: every point, at most ``MAX_POINTS`` of them).

    Returns
    -------
    list of RunFinding for a Result (urgent first, then by time); for a Comparison, {arm: list of RunFinding}.
    """
    if hasattr(run, "arms"):
        return {arm: _run_findings(r, every_h) for arm, r in run.arms.items()}
    return _run_findings(run, every_h)


def findings_by_arm(run, every_h: float | None = None) -> dict[str, list[RunFinding]]:
    """:func:`worst_findings` keyed by arm; a single Result is the arm ``main`` (as in its JSON)."""
    found = worst_findings(run, every_h)
    return found if isinstance(found, dict) else {"main": found}


def _panel(f: RunFinding) -> str | None:
    """The series a finding is marked on: from PANEL, else the first serum value it rests on."""
    if f.code in PANEL:
        return PANEL[f.code]
    lab = next((k for k in f.values if k in READ or k == "Ca"), None)
    return None if lab is None else READ.get(lab, "Ca_ionized")


def plot_marks(findings: list[RunFinding]) -> list[tuple[str, float, str, str]]:
    """(series, time_h, label, severity) for each warn or urgent finding, on the panel of its ion."""
    return [(_panel(f), f.time_h, f.code, f.severity) for f in findings if f.severity != "info" and _panel(f)]


def findings_over_time(result, meds=None, egfr: float | None = None, every_h: float | None = None) -> list:
    """[(time_h, Finding)]: each code at its worst severity, first reached at time_h (``meds`` and ``egfr``
    override the run's context)."""
    if meds is not None or egfr is not None:
        from dataclasses import replace

        context = dict(getattr(result, "context", None) or {})
        context.update({k: v for k, v in (("meds", meds), ("egfr", egfr)) if v is not None})
        result = replace(result, context=context)
    return [(r.time_h, r.finding) for r in _run_findings(result, every_h)]

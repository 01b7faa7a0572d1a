"""Local sensitivity of the validation outputs to every parameter of the table.

Normalized sensitivity S = (dy / y) / (dp / p), by a one-sided +5 % perturbation of each parameter, for every check
of the chosen cases; a case's influence list ranks parameters by the largest |S| over its checks. Patient
parameters (weight, sex, GFR) belong to the scenarios and are not perturbed.
"""

from __future__ import annotations

from ..model.parameters import table
from .run import Case, run_case

STEP = 0.05


def sensitivities(case_list: list[Case], names: list[str] | None = None, progress=None) -> dict[str, list]:
    """{case id: [(parameter, S with the largest |S| over the case's checks), ...] sorted by |S|}."""
    rows = table()
    names = names or [n for n, p in rows.items() if p.value != 0]
    base = {case.id: [c.simulated for c in run_case(case).checks] for case in case_list}
    out: dict[str, dict[str, float]] = {case.id: {} for case in case_list}
    for k, name in enumerate(names):
        if progress:
            progress(k, len(names), name)
        override = {name: rows[name].value * (1 + STEP)}
        for case in case_list:
            try:
                values = [c.simulated for c in run_case(case, override).checks]
            except Exception:  # a perturbation the model cannot follow: report it as undefined
                out[case.id][name] = float("nan")
                continue
            s = [((v - b) / b) / STEP if b else 0.0 for v, b in zip(values, base[case.id])]
            out[case.id][name] = max(s, key=abs)
    return {cid: sorted(d.items(), key=lambda kv: -abs(kv[1]) if kv[1] == kv[1] else 0) for cid, d in out.items()}

"""The validation report: a Markdown page with the summary table (fitted and held-out cases apart), a figure per
case (simulated curves with the observed points and their spread), and, if computed, each case's most influential
parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..result import NOTICE
from ..units import parse
from .run import CaseResult

GRADE = {"green": "≤10 %", "yellow": "≤30 %", "red": ">30 %", "-": "-"}


PLOTTED = {
    "clearance": "Mg_serum",
    "distribution_volume": "Mg_serum",
    "urinary_recovery": "Mg_urine",
    "retention": "Mg_urine",
    "absorbed_fraction": "Mg_urine",
    "deficit_per_mmol": "K_serum",
}


def _figure(cr: CaseResult, path: Path) -> None:
    from matplotlib.figure import Figure  # a standalone figure: the caller's backend and pyplot are left alone

    runs = cr.result.arms if hasattr(cr.result, "arms") else {"simulated": cr.result}
    first = next(iter(runs.values()))
    quantities = []
    for q in [PLOTTED.get(c.metric, c.quantity) for c in cr.case.checks] + [o["quantity"] for o in cr.case.observed]:
        if q in first.series and q not in quantities:
            quantities.append(q)
    quantities = quantities[:4] or ["K_serum"]
    days = first.time_h[-1] > 96
    fig = Figure(figsize=(4.6 * len(quantities), 3.2))
    axes = fig.subplots(1, len(quantities), squeeze=False)
    for ax, q in zip(axes[0], quantities):
        for arm, r in runs.items():
            ax.plot(r.time_h / 24 if days else r.time_h, r.series[q], label=arm)
        for obs in cr.case.observed:
            if obs.get("quantity") != q or "time" not in obs:
                continue
            t = np.array([parse(x, "observed", "h") if isinstance(x, str) else float(x) for x in obs["time"]])
            label = "observed" + (f" ({obs['arm']})" if obs.get("arm") else "")
            ax.errorbar(
                t / 24 if days else t,
                obs["values"],
                yerr=obs.get("spread"),
                fmt="o",
                color="k",
                ms=4,
                capsize=2,
                label=label,
            )
        ax.set_title(f"{q} [{first.units[q]}]", fontsize=9)
        ax.set_xlabel("time [d]" if days else "time [h]")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{cr.case.id}: {cr.case.title}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def _rows(results: list[CaseResult]) -> list[str]:
    rows = ["| case | check | observed | simulated | band | verdict | grade |", "|---|---|---|---|---|---|---|"]
    for cr in results:
        for c in cr.checks:
            obs = "-" if c.check.observed is None else f"{c.check.observed:g}"
            verdict = "pass" if c.passed else ("known failure" if c.check.known_failure else "**FAIL**")
            band = f"{c.check.band[0]:g} to {c.check.band[1]:g}"
            rows.append(
                f"| {cr.case.id} | {c.check.name} | {obs} | {c.simulated:.3g} | {band} | {verdict} | {GRADE[c.grade]} |"
            )
    return rows


def write(results: list[CaseResult], folder: Path, sensitivities: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "figures").mkdir(exist_ok=True)
    fitted = [r for r in results if r.case.fitted]
    held_out = [r for r in results if not r.case.fitted]
    passed = sum(r.passed for r in results)
    lines = [
        "# lytes validation report",
        "",
        f"{passed} of {len(results)} cases pass. {NOTICE}",
        "",
        "Each case's scenario, observed values with their published source, and band are in",
        "`src/lytes/validation/cases/` (described in `docs/validation-cases.md`). Grade is the relative error against",
        "the observed value (≤10 %, ≤30 %, >30 %).",
        "",
        f"## Held-out cases ({len(held_out)}; no parameter was fitted to them)",
        "",
        *_rows(held_out),
        "",
        f"## Cases used for fitting ({len(fitted)}; see 'fitted to:' in the parameter table)",
        "",
        *_rows(fitted),
        "",
        "## Cases",
        "",
    ]
    for cr in results:
        figure = folder / "figures" / f"{cr.case.id}.png"
        _figure(cr, figure)
        lines += [
            f"### {cr.case.id} - {cr.case.title}",
            "",
            f"Source: {cr.case.source}. Strength {cr.case.strength}. "
            + ("Used for fitting." if cr.case.fitted else "Held out."),
            "",
            f"![{cr.case.id}](figures/{cr.case.id}.png)",
            "",
        ]
        if sensitivities and cr.case.id in sensitivities:
            top = sensitivities[cr.case.id][:5]
            lines += ["Most influential parameters (normalized sensitivity of the checks, largest first):", ""]
            lines += [f"- `{name}`: {value:+.2f}" for name, value in top]
            lines.append("")
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

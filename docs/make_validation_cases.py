"""Write docs/validation-cases.md from lytes' validation cases (src/lytes/validation/cases/*.yaml).

    python docs/make_validation_cases.py           # rewrite docs/validation-cases.md
    python docs/make_validation_cases.py --check   # exit 1 if docs/validation-cases.md is out of date

Each case's observation, source, checks, bands and known failures are read from its file, so the page never
disagrees with what `lytes validate` checks; why each band is what it is is written below (BANDS), with the notes
the case file itself carries.
"""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path

from lytes.model.parameters import table
from lytes.validation import cases

OUT = Path(__file__).with_name("validation-cases.md")

STRENGTH = {
    "A": "a direct measurement in many patients",
    "B": "a retrospective or small series",
    "C": "a single case or a rule of thumb",
}

# why each band is what it is (the observation's own spread, or how a magnitude was derived)
BANDS = {
    "V01": "About +/-30 % around the population estimates (clearance 5.0 L/h; Vc + Vp 49 L), the between-patient "
    "spread of a population pharmacokinetic model.",
    "V02": "The review's summary: a 4 g load about doubles serum Mg at 30 min (1.7-2.3 times baseline), and 1 g/h "
    "keeps serum Mg below the 2 mmol/L that is usually called therapeutic.",
    "V03": "About 90 % of an IV dose is recovered in 24-h urine in people with normal kidneys; 75-100 % allows for "
    "the spread between studies.",
    "V04": "An ordering (the Zuspan regimen below Pritchard's IM regimen at 4 h, by any margin) and the therapeutic "
    "window 2-3.5 mmol/L that 3 g/h is reported to hold (from 1.8 mmol/L in the first hours).",
    "V05": "The cohort gives the direction only; the magnitude is derived from Mg's renal clearance (see the note "
    "below): halving the GFR should about double the rise of serum Mg above baseline.",
    "V06": "Cholst 1984's means: ionized Ca -0.12 mmol/L at its 3-h nadir (band -0.08 to -0.2) and PTH down ~40 % "
    "within 30 min (band: a fall of at least 25 %; their assay's absolute values are not compared).",
    "V07": "Around the study's mean serum Mg (2.67 mmol/L) and mean K rise (+0.8); the upper end of the K band "
    "allows for the single cases with K 6.4-6.6 at higher Mg.",
    "V08": "Preston 2015's digitized means with their standard errors (0.05-0.12): the peak rise, the return to "
    "baseline by 270 min, and the cumulative 5-h urinary K of each arm within about 2-3 SE or +/-10-15 %.",
    "V09": "About +0.25 mmol/L per 20 mmol infused, measured hours after the infusion (read at 3 h after its "
    "start); 0.15-0.35 spans the spread of the 1351 infusions.",
    "V10": "The rules of thumb of a 200-400 mmol body K deficit per 1 mmol/L fall of serum K and a smaller excess "
    "per 1 mmol/L rise (the asymmetry of the cells' buffering), widened to 150-450 and 100-300.",
    "V11": "Claim bands: a Mg-depleted patient (Mg 0.15-0.5) is hypokalaemic and stays below 3.5 after 3 days of "
    "KCl alone; K with Mg beats K alone by at least 0.3 at 72 h; Mg alone raises K - the direction from Shils 1969, "
    "the size (at least +0.05 in 5 days of IV Mg) from Ruml 1999's +0.3 over weeks of oral Mg.",
    "V12": "A fractional absorption of ~4 % for magnesium oxide; 3-10 % spans the published estimates.",
    "V13": "The loading test's own threshold: retaining more than 50 % of 0.2 mmol/kg indicates deficiency; a "
    "replete person retains well under that (0-40 %).",
    "V14": "Hydrochlorothiazide 25-50 mg/day lowers serum K by 0.2-0.6 mmol/L across trials and the 1980 "
    "analysis of published studies.",
    "V15": "The Rotterdam Study's small mean fall of serum Mg on a thiazide (-0.015, band -0.005 to -0.05); one "
    "loop dose moves K by less than 0.2 and Mg by less than 0.05 mmol/L a day later.",
    "V16": "The Gitelman consensus: K ~3.0 (2.5-3.4), Mg ~0.55 (0.4-0.7), renal Mg wasting (FE_Mg > 4 %) and "
    "hypocalciuria (urinary Ca below a healthy person's).",
    "V17": "Bartter syndrome's pattern: hypokalaemia, Mg normal or mildly low (0.6-1.0), and hypercalciuria "
    "(urinary Ca above a healthy person's).",
    "V18": "The systematic review: 10 U IV insulin lowers K by ~0.78 mmol/L at 60 min (studies range -0.5 to -1.1), "
    "with the nadir at 30-60 min and recovery by 6 h.",
    "V19": "Allon 1989's means +/- about 2-3 SE (10 mg: -0.62 +/- 0.09; 20 mg: -0.98 +/- 0.14), and a fall that "
    "lasts at 2 h.",
    "V20": "Around each of Struthers 1983's means (K 3.22 after adrenaline alone, 3.67 with atenolol, 4.25 with "
    "timolol); the bands do not overlap, so the ordering is tested too.",
    "V21": "The cohort's finding: hyperkalaemia (>= 5.5) only with impaired renal function - so the highest K stays "
    "below 5.5 with normal kidneys and exceeds it with acute kidney injury.",
    "V22": "Fatemi 1991's means: serum Mg -24 % (ratio 0.69-0.83), red-cell free Mg -21 % (0.65-0.90), total Ca "
    "-0.05 (-0.10 to 0), loading-test retention 11 % before and 62 % after the diet, PTH -54 % within 1 h of IV Mg "
    "before and +27 % after.",
    "V23": "The papers give the direction (muscle K rose after IV Mg, not after IV K); the size comes from Dorup "
    "1993 - muscle K deficits of 14-27 % refill over weeks of Mg, so at least ~1 % (1.3 mmol/L) in a week.",
    "V24": "The cross-over's finding that K with Mg raised K and Mg more than K alone in the first two weeks "
    "(differences 0.1-1.0 and 0.05-0.5 mmol/L).",
    "V25": "Han 1999's mean rebound (~53 % of the intradialytic fall recovered 2 h after the session); 30-60 % with "
    "Rosen 1970's recovery within 2-4 h.",
    "V26": "Kim 2000's means (pre-dialysis K 4.89 after the 72-h and 4.57 after a 48-h interval; post-dialysis "
    "3.59 and 3.53; 74 and 71 mmol removed), within about +/-10-20 %.",
    "V27": "The 1983 study's mean change +/- 2 SE (see the note below).",
}


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _notes(case_id: str) -> tuple[str, list[str]]:
    """The case file's comment on ``fitted:`` (what was fitted) and its comment lines (the case's own notes)."""
    folder = resources.files("lytes.validation").joinpath("cases")
    text = folder.joinpath(f"{case_id}.yaml").read_text(encoding="utf-8")
    fitted = ""
    notes: list[str] = []
    block: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("fitted:") and "#" in stripped:
            fitted = stripped.split("#", 1)[1].strip()
        if stripped.startswith("#"):
            block.append(stripped.lstrip("#").strip())
        elif block:
            notes.append(" ".join(block))
            block = []
    if block:
        notes.append(" ".join(block))
    return fitted, notes


def _fitted_parameters() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in table().values():
        if "fitted to:" in p.source:
            for case in sorted(set(re.findall(r"\bV\d\d\b", p.source.split("fitted to:", 1)[1]))):
                out.setdefault(case, []).append(p.name)
    return out


def _band(check) -> str:
    lo, hi = check.band
    return f"{lo:g} to {hi:g}"


def markdown() -> str:
    all_cases = cases()
    fitted_by_table = _fitted_parameters()
    lines = [
        "# lytes validation cases",
        "",
        "<!-- generated by docs/make_validation_cases.py from src/lytes/validation/cases/; do not edit by hand -->",
        "",
        "Each case recreates a published human observation as a scenario and checks the simulation against it: a",
        "metric of the run (a value at a time, a peak, a change, a ratio between arms), the band it must fall in, and",
        "where the paper gives one, the observed value it is graded against (relative error <= 10 % green, <= 30 %",
        "yellow, > 30 % red). `lytes validate` runs them all and exits 1 if a check leaves its band; a check that",
        "fails for a stated reason is a **known failure** (shown, not hidden). `lytes validate --case V08` runs one;",
        "`lytes validate --report DIR` draws each case's curves over the observed points; `lytes sensitivity V08`",
        "shows which parameters each case rests on.",
        "",
        "**Strength** of the observation: " + "; ".join(f"**{k}** {v}" for k, v in STRENGTH.items()) + ".",
        "",
        "**Fitted or held out.** Where a parameter was adjusted until a case fell in its band, the case is marked",
        "fitted and the parameter table says `fitted to: Vxx` (see [parameters.md](parameters.md)); a held-out case",
        "had no parameter fitted to it, so it tests the model rather than its calibration.",
        "",
        "| case | observation | strength | set | checks |",
        "|---|---|---|---|---|",
    ]
    for case in all_cases.values():
        kind = "fitted" if case.fitted else "held out"
        lines.append(
            f"| [{case.id}](#{case.id.lower()}) | {_cell(case.title)} | {case.strength} | {kind} | {len(case.checks)} |"
        )
    for case in all_cases.values():
        fitted, notes = _notes(case.id)
        lines += ["", f"## {case.id}", "", f"**{case.title}**", ""]
        lines.append(f"- Source: {case.source}")
        lines.append(f"- Strength {case.strength}: {STRENGTH.get(case.strength, '')}.")
        if case.fitted:
            what = fitted or ", ".join(f"`{n}`" for n in fitted_by_table.get(case.id, [])) or "see the parameter table"
            lines.append(f"- Fitted: {what}.")
        else:
            lines.append("- Held out: no parameter was fitted to it.")
            if fitted_by_table.get(case.id):
                named = ", ".join(f"`{n}`" for n in fitted_by_table[case.id])
                lines.append(f"  (The parameter table names it among the targets of {named}.)")
        scenario = case.scenario if isinstance(case.scenario, str) else None
        if scenario:
            lines.append(f"- Scenario: the built-in `{scenario}` (`lytes scenarios --show {scenario}`).")
        elif "name" in case.scenario:
            lines.append(f"- Scenario: {case.scenario['name']}.")
        else:
            runs = ", ".join(f"`{k}`" for k in case.scenario)
            lines.append(f"- Scenarios compared: {runs}.")
        if case.id in BANDS:
            lines.append(f"- Why these bands: {BANDS[case.id]}")
        for note in notes:
            lines.append(f"- Note from the case file: {note}")
        lines += ["", "| check | observed | band | known failure |", "|---|---|---|---|"]
        for check in case.checks:
            observed = "-" if check.observed is None else f"{check.observed:g}"
            failure = _cell(check.known_failure) if check.known_failure else ""
            lines.append(f"| {_cell(check.name)} | {observed} | {_band(check)} | {failure} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = markdown()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run python docs/make_validation_cases.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

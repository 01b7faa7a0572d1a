"""Findings over a run: each code at the worst severity it reaches (and when), per arm, read with the scenario's
medications, conditions and eGFR; in the summary, the JSON and the plot."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import lytes
from lytes.cli import app
from lytes.reading import findings_over_time, plot_marks

runner = CliRunner()


def by_code(findings):
    return {f.code: f for f in findings}


@pytest.fixture(scope="module")
def mgso4():
    return lytes.simulate("mgso4_renal_impairment")


@pytest.fixture(scope="module")
def hypermg():
    return lytes.simulate("hypermagnesemia_treatment")


def test_mg_toxicity_is_reported_at_its_worst_not_its_first(mgso4):
    found = by_code(lytes.findings(mgso4))
    tox = found["mg_toxicity"]
    peak_h = mgso4.time_h[np.argmax(mgso4["Mg_serum"])]
    assert tox.severity == "urgent" and tox.values["Mg"] >= 3.5
    assert "reflexes may be lost" in tox.summary
    # first at Mg >= 3.5 on the way up to the peak, well after the 3 h at which Mg first passed 2 mmol/L
    assert 3.0 < tox.time_h <= peak_h
    assert mgso4.at("Mg_serum", tox.time_h) >= 3.5 > mgso4.at("Mg_serum", tox.time_h - 1.0)
    assert found["hypermagnesemia"].severity == "urgent" and found["hyperkalemia"].severity == "urgent"


def test_the_old_first_appearance_api_gives_the_worst_too(mgso4):
    found = {f.code: (t, f) for t, f in findings_over_time(mgso4)}
    assert found["mg_toxicity"][1].severity == "urgent" and found["mg_toxicity"][0] > 3.0


def test_scenario_context_reaches_the_reading(mgso4):
    assert mgso4.context == {"meds": ["mgso4", "kcl"], "conditions": ["pregnancy"], "egfr": 35.0}
    # KCl is given and K rises above 5: the K-raising product is named
    assert "kcl" in by_code(lytes.findings(mgso4))["drugs_raise_k"].values["drugs"]


def test_dialysis_arm_clears_mg_toxicity_and_hyperkalemia_soonest(hypermg):
    found = {arm: by_code(f) for arm, f in lytes.findings(hypermg).items()}
    hd, stop = found["hemodialysis"], found["stop_source"]
    # every arm starts at the same toxic Mg; haemodialysis ends mg_toxicity hours before stopping the source alone
    assert hd["mg_toxicity"].severity == stop["mg_toxicity"].severity == "urgent"
    assert hd["mg_toxicity"].last_h < stop["mg_toxicity"].last_h - 4
    assert hd["hyperkalemia"].last_h < found["loop_and_saline"]["hyperkalemia"].last_h < stop["hyperkalemia"].last_h
    assert stop["hyperkalemia"].last_h > hd["hyperkalemia"].last_h + 4 and hd["hyperkalemia"].at_end is None
    # calcium gluconate raises ionized Ca but does not clear Mg: its arm reads like stopping the source
    assert found["calcium"]["mg_toxicity"].last_h == stop["mg_toxicity"].last_h
    # no arm is told to replete K and Mg for a diuretic while both are high (the loop arm is on furosemide)
    assert not any("diuretic_depletion" in f for f in found.values())


def test_refractory_hypokalemia_arms_differ_where_the_physiology_does():
    found = {arm: by_code(f) for arm, f in lytes.findings(lytes.simulate("refractory_hypokalemia")).items()}
    # K alone leaves Mg deficient to the end; repleting Mg resolves the hypomagnesaemia within days
    assert found["K_alone"]["hypomagnesemia"].at_end == "urgent"
    assert all(found[arm]["hypomagnesemia"].at_end is None for arm in ("Mg_first", "Mg_and_K", "Mg_alone"))
    # the patient starts at K ~3.0 in every arm; K alone falls below 3 for hours on end, Mg and K together never
    # go below the start (a K < 3 finding there, if any, is the shared starting state only)
    assert found["K_alone"]["ecg_potassium"].last_h > 6
    both = found["Mg_and_K"].get("ecg_potassium")
    assert both is None or both.last_h == 0.0
    # the refractory pattern resolves once Mg is given (within days) and persists to the end on K alone
    assert found["Mg_and_K"]["mg_deficiency_refractory_hypokalemia"].at_end is None
    assert found["K_alone"]["mg_deficiency_refractory_hypokalemia"].severity == "urgent"
    assert found["K_alone"]["mg_deficiency_refractory_hypokalemia"].at_end is not None


def test_a_beta_blocker_arm_is_read_as_on_a_beta_blocker():
    found = {arm: by_code(f) for arm, f in lytes.findings(lytes.simulate("beta_blocker_high_mg")).items()}
    assert "beta_blocker_hyperkalemia_risk" in found["propranolol"]
    assert "beta_blocker_hyperkalemia_risk" not in found["no_beta_blocker"]
    assert found["propranolol"]["beta_blocker_hyperkalemia_risk"].values["beta_blockers"] == ["propranolol"]


def test_k_raising_medications_with_high_k_are_named():
    run = lytes.simulate(
        {
            "name": "spironolactone and trimethoprim in CKD 4",
            "duration": "24 h",
            "patient": {"egfr": "25 mL/min/1.73m2", "conditions": ["ckd"], "age": "70 y"},
            "diet": {"K": "100 mmol/day"},
            "medications": [
                {"drug": "Aldactone", "dose": "50 mg"},
                {"drug": "TMP", "dose": "320 mg", "every": "12 h"},
            ],
        }
    )
    assert run.context["meds"] == ["spironolactone", "trimethoprim"]  # brand names and abbreviations, canonical
    raise_k = by_code(lytes.findings(run))["drugs_raise_k"]
    assert raise_k.values["drugs"] == ["spironolactone", "trimethoprim"] and raise_k.values["K"] > 5.0


def test_json_carries_findings_for_a_run_and_for_each_arm():
    single = runner.invoke(app, ["run", "mgso4_renal_impairment", "--json"])
    assert single.exit_code == 0
    data = json.loads(single.stdout)
    tox = next(f for f in data["findings"] if f["code"] == "mg_toxicity")
    assert tox["severity"] == "urgent" and tox["values"]["Mg"] >= 3.5 and tox["time_h"] > 3
    assert set(tox) == {"code", "severity", "time_h", "summary", "values", "last_h", "at_end"}
    assert data["arms"]["main"]["findings"] == data["findings"]
    assert data["arms"]["main"]["context"]["egfr"] == 35.0

    arms = json.loads(runner.invoke(app, ["run", "hypermagnesemia_treatment", "--json"]).stdout)
    codes = {arm: {f["code"]: f for f in a["findings"]} for arm, a in arms["arms"].items()}
    assert set(codes) == {"stop_source", "calcium", "loop_and_saline", "hemodialysis"}
    assert codes["hemodialysis"]["mg_toxicity"]["last_h"] < codes["stop_source"]["mg_toxicity"]["last_h"]


def test_summaries_print_the_worst_findings(tmp_path):
    out = runner.invoke(app, ["run", "mgso4_renal_impairment"]).stdout
    line = next(x for x in out.splitlines() if "mg_toxicity" in x)
    assert "urgent" in line and "t = " in line and "reflexes may be lost" in line
    plot = tmp_path / "arms.png"
    out = runner.invoke(app, ["run", "hypermagnesemia_treatment", "--plot", str(plot)]).stdout
    assert "findings by arm" in out and plot.stat().st_size > 0
    row = next(x for x in out.splitlines() if "mg_toxicity" in x)
    assert row.count("urgent @") == 4


def test_plot_marks_urgent_and_warn_findings_on_their_ion(mgso4, tmp_path):
    marks = plot_marks(lytes.findings(mgso4))
    assert ("Mg_serum", by_code(lytes.findings(mgso4))["mg_toxicity"].time_h, "mg_toxicity", "urgent") in marks
    assert all(severity in ("urgent", "warn") for *_, severity in marks)
    assert {series for series, *_ in marks} <= {"K_serum", "Mg_serum", "Ca_ionized", "Na_serum"}
    mgso4.plot(tmp_path / "run.png", marks=marks + [("no_such_series", 1.0, "x", "warn")])  # unknown: left out
    assert (tmp_path / "run.png").stat().st_size > 0


def test_a_calcium_infusion_to_severe_hypercalcaemia_is_flagged_urgent():
    # IV Ca 20 mmol/h for 4.4 h into a healthy adult: ionized Ca ~2.2 mmol/L (Minisola 2015: severe)
    run = lytes.simulate(
        {
            "duration": "12 h",
            "interventions": [
                {"at": "0 h", "give": "Ca gluconate", "route": "iv", "rate": "20 mmol/h", "for": "4.4 h"}
            ],
        }
    )
    assert run["Ca_ionized"].max() > 1.8
    assert by_code(lytes.findings(run))["hypercalcemia"].severity == "urgent"

"""Issue 8, item 6: a patient on a regimen starts in that regimen's periodic steady state.

A history takes medications as dose-averaged rates, except over its last three weeks, where the real doses are
given so that the next falls at t = 0; labs drawn on medications are matched there too. An arm that only continues
the same doses then stays flat - as a clinician compares it: the same time of day (just before the morning dose),
and the mean over each day's dosing cycles.
"""

import numpy as np
import pytest

import lytes
from lytes.scenario import load
from lytes.scenario.regimen import HISTORY_DOSES_H, compile_history

FUROSEMIDE = {"drug": "furosemide", "dose": "40 mg", "every": "12 h"}
EVERY = 0.5  # h


def chronic(history=True, labs=None, meds=(FUROSEMIDE,), days=7):
    data = {
        "name": "chronic regimen continued",
        "patient": {"weight": "80 kg", "age": "70 y", "egfr": "55 mL/min/1.73m2", "conditions": ["heart_failure"]},
        "diet": {"K": "60 mmol/day", "Mg": "8 mmol/day"},
        "medications": list(meds),
        "duration": f"{days} d",
    }
    if history:
        data["history"] = {"duration": "120 d", "medications": list(meds)}
    if labs:
        data["patient"]["labs"] = labs
    return data


def drift(r, name="K_serum", days=7):
    """(largest change of the pre-dose morning value, largest change of a day's mean) over ``days``."""
    per_day = int(round(24 / EVERY))
    x = r[name]
    mornings = x[: days * per_day + 1 : per_day]
    means = np.array([x[d * per_day : (d + 1) * per_day].mean() for d in range(days)])
    return np.ptp(mornings), np.ptp(means)


def test_months_of_furosemide_then_the_same_doses_hold_k_flat():
    r = lytes.simulate(chronic(), every=EVERY)
    morning, daily = drift(r)
    assert morning < 0.02 and daily < 0.02
    assert np.ptp(r["K_serum"]) < 0.3  # the dosing cycle itself still shows


def test_labs_on_furosemide_start_at_the_labs_and_hold_them():
    r = lytes.simulate(chronic(history=False, labs={"K": "3.3 mmol/L", "Mg": "0.6 mmol/L"}), every=EVERY)
    assert r["K_serum"][0] == pytest.approx(3.3, rel=0.005) and r["Mg_serum"][0] == pytest.approx(0.6, rel=0.005)
    morning, daily = drift(r)
    assert morning < 0.02 and daily < 0.02
    assert any("periodic steady state" in n for n in r.notes)


def test_labs_after_a_history_hold_at_t0():
    r = lytes.simulate(chronic(labs={"K": "3.4 mmol/L"}), every=EVERY)
    assert r["K_serum"][0] == pytest.approx(3.4, rel=0.005)
    assert drift(r)[0] < 0.02


def test_several_drugs_with_different_intervals():
    meds = (FUROSEMIDE, {"drug": "omeprazole", "dose": "20 mg"}, {"drug": "lisinopril", "dose": "10 mg"})
    r = lytes.simulate(chronic(meds=meds), every=EVERY)
    morning, daily = drift(r)
    assert morning < 0.02 and daily < 0.02


def test_the_history_ends_with_real_doses_timed_into_t0():
    sc = load(chronic())
    history = compile_history(sc)
    times = sorted(j.t for j in history.jumps if j.state == "loop_depot")
    assert times[-1] == pytest.approx(history.duration - 12)  # the next dose is the regimen's, at t = 0
    assert times[0] >= history.duration - HISTORY_DOSES_H
    assert len(times) == int(HISTORY_DOSES_H / 12)
    rate = [ch for ch in history.changes if ch.input == "loop_oral"]
    assert rate and rate[0].t1 == pytest.approx(times[0])  # averaged before, real doses after


def test_a_condition_in_both_the_patient_and_the_history_is_one_condition():
    # vomiting on a 120 mmol/day Na diet is a living steady state; naming it in the history too must not double it
    chronic = lytes.simulate(
        {"duration": "1 d", "patient": {"conditions": ["vomiting"]}, "diet": {"Na": "120 mmol/day"}}
    )
    both = lytes.simulate(
        {
            "duration": "1 d",
            "patient": {"conditions": ["vomiting"]},
            "history": {"duration": "1 y", "diet": {"Na": "120 mmol/day"}, "conditions": ["vomiting"]},
        }
    )
    assert abs(both["ECF_volume"][0] / chronic["ECF_volume"][0] - 1) < 0.01


def test_a_history_no_one_lives_through_is_refused_in_one_line():
    from lytes.errors import InputError

    drained = {
        "duration": "1 d",
        "history": {"duration": "10 d", "diet": {"Na": "40 mmol/day"}, "conditions": ["vomiting", "diarrhea"]},
    }
    with pytest.raises(InputError, match="history.*cannot be lived through"):
        lytes.simulate(drained)


def test_a_month_of_history_from_a_steady_state_holds_it():
    # found by the property suite (10,000 examples): LSODA over a 30-day history in one step stalled at t = 207 h
    # (50,000 steps) for this small patient; the history now continues in daily windows and holds the steady state
    patient = {"weight": "35 kg", "sex": "male", "age": "16 y", "conditions": ["alcohol_use_disorder"]}
    diet = {"K": "38 mmol/day", "Na": "58 mmol/day"}
    chronic = lytes.simulate({"duration": "6 h", "patient": patient, "diet": diet})
    held = lytes.simulate(
        {"duration": "6 h", "patient": patient, "diet": diet, "history": {"duration": "30 d", "medications": []}}
    )
    for name in ("K_serum", "Mg_serum", "Ca_ionized", "ECF_volume"):
        assert held[name][0] == pytest.approx(chronic[name][0], rel=1e-4)

"""Issue 10: options that fit the patient, on the emergency's time scale, checked against their own simulations."""

import lytes
from lytes.reading.options import plan, table_at


def _run(labs, meds=(), conditions=(), age=60, sex="male", weight=70):
    a = lytes.assess(labs, age=age, sex=sex, meds=list(meds), conditions=list(conditions))
    chosen = plan(a, age, sex, weight, list(a_meds(meds)), list(conditions))
    comparison = lytes.simulate(chosen.scenario, every=0.25)
    return a, chosen, comparison, table_at(comparison, chosen.times_h)


def a_meds(meds):
    from lytes.scenario.vocabulary import lookup

    return [lookup(m)[1] for m in meds]


def test_severe_hyperkalaemia_in_an_anuric_patient_on_propranolol():
    # UK Kidney Association 2020: calcium for the membrane, insulin-glucose and salbutamol to shift K, binders and
    # dialysis to remove it, stop what raises K; a loop diuretic has nothing to act on without urine
    a, chosen, c, v = _run({"K": "6.4 mmol/L"}, meds=["propranolol"], conditions=["esrd"])
    assert chosen.menu == "hyperkalemia" and chosen.times_h[0] == 0.25  # minutes, not days
    assert {"calcium", "insulin_glucose", "salbutamol", "k_binder", "dialysis", "stop_propranolol"} <= set(v)
    assert "loop_diuretic" in chosen.withheld and "anuric" in chosen.withheld["loop_diuretic"]
    t = list(chosen.times_h)
    half_hour, one_h, four_h = t.index(0.5), t.index(1), t.index(4)
    none, insulin = v["no_treatment"]["K_serum"], v["insulin_glucose"]["K_serum"]
    assert insulin[half_hour] <= none[half_hour] - 0.3  # insulin lowers K within 30 min (Harel & Kamel 2016)
    both = v["insulin_and_salbutamol"]["K_serum"]
    assert both[one_h] < insulin[one_h] and both[one_h] < v["salbutamol"]["K_serum"][one_h]  # additive (Allon 1990)
    assert v["calcium"]["K_serum"][one_h] == none[one_h]  # calcium does not lower K ...
    margin = table_at(c, (0.25,))
    assert margin["calcium"]["excitability_margin"][0] > margin["no_treatment"]["excitability_margin"][0] + 0.5
    assert v["dialysis"]["K_serum"][four_h] == min(arm["K_serum"][four_h] for arm in v.values())  # removes most


def test_hyperkalaemia_with_working_kidneys_keeps_the_loop_diuretic():
    _, chosen, _, v = _run({"K": "6.2 mmol/L", "creatinine": "1.0 mg/dL"}, meds=["lisinopril"])
    assert "loop_diuretic" in v and not chosen.withheld
    assert "stop_lisinopril" in v  # the K-raising drug is an option of its own


def test_mg_toxicity_in_preeclampsia_with_renal_impairment_withholds_saline():
    # Mg 4.5 mmol/L in pre-eclampsia with creatinine 2.0: fluid risks pulmonary oedema and the kidney cannot
    # excrete the Mg; calcium antagonises it at the membrane; dialysis removes it (Euser & Cipolla 2009)
    a, chosen, c, v = _run(
        {"Mg": "4.5 mmol/L", "creatinine": "2.0 mg/dL"},
        meds=["MgSO4"],
        conditions=["preeclampsia"],
        age=30,
        sex="female",
    )
    assert chosen.menu == "hypermagnesemia"
    assert "loop_and_saline" in chosen.withheld and "pulmonary oedema" in chosen.withheld["loop_and_saline"]
    t = list(chosen.times_h)
    assert v["dialysis"]["Mg_serum"][t.index(4)] < v["stop_source"]["Mg_serum"][t.index(4)] - 1.0
    assert v["calcium"]["Ca_ionized"][t.index(0.25)] > v["stop_source"]["Ca_ionized"][t.index(0.25)] + 0.05


def test_low_k_with_low_mg_the_reading_agrees_with_its_simulation():
    # the finding says Mg deficiency makes the hypokalaemia refractory: the simulated options must show it
    a, chosen, _, v = _run({"K": "2.8 mmol/L", "Mg": "0.5 mmol/L"}, meds=["furosemide"], age=70, weight=80)
    assert "mg_deficiency_refractory_hypokalemia" in a.codes() and chosen.menu == "low K/Mg"
    rise_k = v["K_alone"]["K_serum"][-1] - 2.8
    rise_both = v["Mg_and_K"]["K_serum"][-1] - 2.8
    assert rise_both > 1.5 * rise_k and v["Mg_alone"]["K_serum"][-1] > 2.8


def test_a_loop_diuretic_is_withheld_below_egfr_15_with_its_reason():
    a = lytes.assess({"K": "6.6 mmol/L"}, age=60, sex="male", egfr=10)
    chosen = plan(a, 60, "male", 70, [], [])
    assert "loop_diuretic" in chosen.withheld and "eGFR 10" in chosen.withheld["loop_diuretic"]
    assert {"insulin_glucose", "salbutamol", "k_binder", "dialysis"} <= set(chosen.scenario["arms"])


def test_the_emergency_plot_shows_the_first_hours(tmp_path):
    import subprocess
    import sys

    png = tmp_path / "hk.png"
    proc = subprocess.run(
        [sys.executable, "-m", "lytes", "assess", "--lab", "K=6.6 mmol/L", "--lab", "creatinine=4 mg/dL", "--age", "60",
         "--sex", "male", "--simulate", "--plot", str(png)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "15 min" in proc.stdout and "excitability" in proc.stdout and png.stat().st_size > 10_000


def test_k_is_withheld_when_not_low_and_a_pd_patient_stays_on_pd():
    # Mg 0.39 with K 3.9 on spironolactone and lisinopril: K is not given (it would rise further), Mg is
    a = lytes.assess({"K": "3.9 mmol/L", "Mg": "0.39 mmol/L"}, meds=["spironolactone", "lisinopril"])
    chosen = plan(a, 66, "female", 60, ["spironolactone", "lisinopril"], [])
    assert "Mg_alone" in chosen.scenario["arms"] and "K_alone" in chosen.withheld
    assert "spironolactone" in chosen.withheld["K_alone"]
    # a peritoneal dialysis patient is simulated on peritoneal dialysis, not haemodialysis
    a = lytes.assess({"K": "6.9 mmol/L"}, dialysis="peritoneal")
    chosen = plan(a, 58, "male", 72, [], [])
    assert chosen.scenario["interventions"][0]["event"] == "peritoneal_dialysis"
    assert "dialysis" in chosen.withheld


def test_height_sizes_the_simulated_patient_lean_mass_not_fat():
    a = lytes.assess({"K": "2.9 mmol/L", "Mg": "0.5 mmol/L"})
    short = plan(a, 50, "female", 120.0, [], [], height_cm=150)
    tall = plan(a, 50, "female", 120.0, [], [], height_cm=190)
    assert (
        short.scenario["patient"]["height"] == "150 cm"
        and "height" not in plan(a, 50, "female", 120.0, [], []).scenario["patient"]
    )
    # the same K given to a taller (leaner) woman of the same weight spreads into more water: a smaller rise
    rise = {}
    for name, chosen in (("short", short), ("tall", tall)):
        comparison = lytes.simulate(chosen.scenario, every=1.0)
        arm = next(iter(comparison.arms.values()))
        rise[name] = arm.at("K_serum", 24) - arm.at("K_serum", 0)
    assert rise["short"] > rise["tall"] > 0

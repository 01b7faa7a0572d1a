"""Issue 3 vocabulary: medications, conditions, events, foods, history, labs, arms - and their bad input."""

import json
import subprocess
import sys

import pytest

import lytes
from lytes.errors import InputError

from .conftest import give, scenario


def test_products_know_their_salts():
    # 10 mL of 10 % calcium gluconate (1 g) = 2.23 mmol Ca; 1 L 0.9 % saline = 154 mmol Na (molar masses)
    base = lytes.simulate(scenario("1 h"))
    ca = lytes.simulate(scenario("1 h", interventions=[give("0 h", "Ca gluconate", "iv", dose="1 g", over="10 min")]))
    assert ca.balance["Ca"].intake - base.balance["Ca"].intake == pytest.approx(2.23, abs=0.01)
    na = lytes.simulate(
        scenario("1 h", interventions=[give("0 h", "NaCl", "iv", volume="1 L", concentration="0.9 %", over="30 min")])
    )
    assert na.balance["Na"].intake - base.balance["Na"].intake == pytest.approx(154, abs=1)
    kcit = lytes.simulate(scenario("1 h", interventions=[give("0 h", "K citrate", "oral", dose="1 g")]))
    assert kcit.balance["K"].intake - base.balance["K"].intake == pytest.approx(9.25, abs=0.05)


def test_intramuscular_mgso4_is_absorbed_over_hours():
    # V04: IM MgSO4 (Pritchard) gives a slower, lower peak than the same dose IV
    im = lytes.simulate(scenario("8 h", interventions=[give("0 h", "MgSO4", "im", dose="5 g")]))
    iv = lytes.simulate(scenario("8 h", interventions=[give("0 h", "MgSO4", "iv", dose="5 g", over="20 min")]))
    assert im["Mg_serum"].max() < iv["Mg_serum"].max()
    assert im.time_h[im["Mg_serum"].argmax()] > 0.75


def test_insulin_and_albuterol_lower_k_in_published_bands():
    ins = lytes.simulate(scenario("6 h", interventions=[give("0 h", "insulin", "iv", dose="10 U", glucose="25 g")]))
    fall = ins.at("K_serum", 1) - ins["K_serum"][0]
    assert -1.1 <= fall <= -0.5  # V18
    assert ins["K_serum"][-1] > ins["K_serum"].min() + 0.3  # recovering over 4-6 h
    lo = lytes.simulate(scenario("3 h", interventions=[give("0 h", "albuterol", "nebulized", dose="10 mg")]))
    hi = lytes.simulate(scenario("3 h", interventions=[give("0 h", "albuterol", "nebulized", dose="20 mg")]))
    assert -1.2 <= hi["K_serum"].min() - hi["K_serum"][0] <= -0.7  # V19
    assert hi["K_serum"].min() < lo["K_serum"].min()  # dose-dependent


def test_thiazide_lowers_k_and_mg_within_published_bands():
    r = lytes.simulate(
        scenario("60 d") | {"medications": [{"drug": "hydrochlorothiazide", "dose": "25 mg", "every": "24 h"}]}
    )
    assert -0.6 <= r["K_serum"][-1] - r["K_serum"][0] <= -0.2  # V14
    assert -0.05 <= r["Mg_serum"][-1] - r["Mg_serum"][0] <= -0.005  # V15
    assert r["Ca_urine_rate"][-1] < r["Ca_urine_rate"][0]  # hypocalciuria


def test_single_loop_dose_small_changes_at_24h():
    r = lytes.simulate(scenario("24 h", interventions=[give("0 h", "furosemide", "oral", dose="40 mg")]))
    assert abs(r["K_serum"][-1] - r["K_serum"][0]) < 0.2 and abs(r["Mg_serum"][-1] - r["Mg_serum"][0]) < 0.05  # V15
    assert r["FE_Mg"].max() > 3 * r["FE_Mg"][0]  # TAL Mg reabsorption blocked while it acts


def test_spironolactone_raises_k_and_pantoprazole_is_half_as_potent():
    spiro = lytes.simulate(scenario("21 d") | {"medications": [{"drug": "spironolactone", "dose": "50 mg"}]})
    assert spiro["K_serum"][-1] > spiro["K_serum"][0] + 0.05


def test_diarrhea_and_hyperaldosteronism_lower_k():
    d = lytes.simulate(scenario("10 d", patient={"conditions": [{"condition": "diarrhea", "K": "60 mmol/day"}]}))
    h = lytes.simulate(scenario("10 d", patient={"conditions": ["hyperaldosteronism"]}))
    assert d["K_serum"][0] < 4.0 and h["K_serum"][0] < 4.0


def test_aki_raises_k_and_mg_over_days():
    r = lytes.simulate(
        scenario("4 d", patient={"conditions": [{"condition": "aki", "egfr": "10 mL/min/1.73m2", "over": "48 h"}]})
    )
    assert r["K_serum"][-1] > r["K_serum"][0] + 0.3
    assert r["Mg_serum"][-1] > r["Mg_serum"][0]


def test_hemodialysis_removes_k_and_gains_ca_from_dialysate():
    session = {"at": "1 h", "event": "hemodialysis", "for": "4 h", "dialysate": {"K": "2 mmol/L", "Ca": "1.75 mmol/L"}}
    r = lytes.simulate(scenario("12 h", patient={"egfr": "8 mL/min/1.73m2"}, interventions=[session]))
    assert r.at("K_serum", 5) < r["K_serum"][0] - 0.5
    assert r.at("K_serum", 12) > r.at("K_serum", 5)  # rebound from cells
    assert r.balance["K"].other > 30  # K removed by the dialyser


def test_diet_event_and_stop_event():
    r = lytes.simulate(
        scenario(
            "48 h",
            interventions=[
                give("0 h", "MgSO4", "iv", rate="2 g/h", for_="48 h"),
                {"at": "6 h", "event": "stop", "give": "MgSO4"},
                {"at": "0 h", "event": "diet", "diet": {"K": "200 mmol/day"}},
            ],
        )
    )
    assert r.at("Mg_serum", 6) > r.at("Mg_serum", 30) + 0.3  # stopped at 6 h
    assert r["K_urine_rate"][-1] > 1.5 * r["K_urine_rate"][0]


def test_foods_add_k_and_mg():
    r = lytes.simulate(scenario("1 d", diet={"foods": {"banana": 2}}))
    base = lytes.simulate(scenario("1 d"))
    # two medium bananas: 2 x 118 g x 358 mg K/100 g = 845 mg = 21.6 mmol (USDA FoodData Central)
    assert r.balance["K"].intake - base.balance["K"].intake == pytest.approx(21.6, abs=0.2)


def test_labs_start_the_patient_there_and_say_how():
    r = lytes.simulate(scenario("1 d", patient={"labs": {"K": "2.9 mmol/L", "Mg": "1.1 mg/dL"}}))
    assert r["K_serum"][0] == pytest.approx(2.9, abs=0.01)
    assert r["Mg_serum"][0] == pytest.approx(1.1 / 2.431, abs=0.01)
    assert any("estimated from labs" in n for n in r.notes)


def test_arms_share_the_start_and_json_lists_every_arm():
    data = scenario("12 h") | {
        "arms": {"none": {}, "kcl": {"interventions": [give("0 h", "KCl", "oral", dose="40 mmol")]}}
    }
    r = lytes.simulate(data)
    assert r["none"]["K_serum"][0] == r["kcl"]["K_serum"][0]
    assert r["kcl"]["K_serum"].max() > r["none"]["K_serum"].max()
    out = r.to_dict()
    assert set(out["arms"]) == {"none", "kcl"} and "series" in out["arms"]["kcl"]


BAD = [
    (scenario() | {"medications": [{"drug": "furosemde", "dose": "40 mg"}]}, "medications[0].drug", "furosemide"),
    (scenario(interventions=[give("0 h", "insulin", "oral", dose="10 U")]), "interventions[0].route", None),
    (scenario(interventions=[give("0 h", "insulin", "iv", dose="10 mg")]), "interventions[0].dose", None),
    (
        scenario(interventions=[give("0 h", "albuterl", "nebulized", dose="10 mg")]),
        "interventions[0].give",
        "albuterol",
    ),
    (scenario(patient={"labs": {"K": "45 mmol/L"}}), "patient.labs.K", None),
    (scenario(patient={"labs": {"Mg": "-1 mg/dL"}}), "patient.labs.Mg", None),
    (scenario(patient={"conditions": ["gitelmann"]}), "patient.conditions[0]", "gitelman"),
    (scenario(patient={"conditions": ["ckd"]}), "patient.conditions[0]", None),  # ckd needs a low eGFR
    (scenario(diet={"foods": {"durian": 1}}), "diet.foods.durian", None),
    (
        scenario(
            interventions=[
                {"at": "0 h", "event": "hemodialysis", "for": "4 h"},
                {"at": "2 h", "event": "crrt", "for": "1 d"},
            ]
        ),
        "interventions[1].at",
        None,
    ),
    (scenario() | {"arms": {"a": {"patient": {"weight": "50 kg"}}}}, "arms.a.patient", None),
    (
        scenario(interventions=[{"at": "0 h", "event": "tissue_breakdown", "muscle": "1 L", "over": "2 h"}]),
        "interventions[0].muscle",
        None,
    ),
]


@pytest.mark.parametrize("data, field, suggestion", BAD)
def test_bad_vocabulary_names_the_field(data, field, suggestion):
    with pytest.raises(InputError) as info:
        lytes.simulate(data)
    assert info.value.field == field
    if suggestion:
        assert f"did you mean {suggestion}" in str(info.value)


def test_cli_runs_arms_side_by_side_and_as_json():
    proc = subprocess.run(
        [sys.executable, "-m", "lytes", "run", "kidney_replacement_therapy"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "K_Mg_free_fluid" in proc.stdout and "K_Mg_fluid" in proc.stdout and "not orders" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "lytes", "run", "kidney_replacement_therapy", "--json", "--every", "6h"],
        capture_output=True,
        text=True,
    )
    data = json.loads(proc.stdout)
    assert set(data["arms"]) == {"K_Mg_free_fluid", "K_Mg_fluid"}


def test_a_meal_lowers_k_through_insulin():
    # V08 (Preston 2015): a K-free meal lowers serum K by 0.4-0.8 mmol/L over ~90 min, then it recovers
    r = lytes.simulate(scenario("5 h", interventions=[{"at": "0 h", "event": "meal", "dose": "75 g"}]), every=0.25)
    fall = r["K_serum"].min() - r["K_serum"][0]
    assert -0.8 <= fall <= -0.4
    assert r["K_serum"][-1] > r["K_serum"].min() + 0.2


def test_a_medication_can_be_stopped_in_an_arm():
    sc = {
        "name": "stop furosemide",
        "duration": "5 d",
        "medications": [{"drug": "furosemide", "dose": "40 mg", "every": "12 h"}],
        "history": {"duration": "60 d", "medications": [{"drug": "furosemide", "dose": "40 mg", "every": "12 h"}]},
        "arms": {"keep": {}, "stop": {"interventions": [{"at": "0 h", "event": "stop", "give": "furosemide"}]}},
    }
    r = lytes.simulate(sc)
    assert r["stop"]["K_serum"][-1] > r["keep"]["K_serum"][-1] + 0.05  # the loop diuretic's K wasting ends
    assert r["stop"].at("Na_urine", 120) < r["keep"].at("Na_urine", 120)


def test_stopping_what_is_not_given_is_refused():
    with pytest.raises(InputError) as info:
        lytes.simulate(scenario("1 d", interventions=[{"at": "0 h", "event": "stop", "give": "omeprazole"}]))
    assert info.value.field == "interventions[0].give"

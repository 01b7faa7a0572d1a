"""Every built-in scenario runs (mass balance checked by conftest) and shows its claim, with direction and
size bands from the literature (docs/physiology.md, docs/validation-cases.md) - not from the model's own output."""

import functools

import numpy as np
import pytest

import lytes
from lytes.scenario.catalog import describe, names

from .conftest import scenario


@functools.cache
def run(name):
    return lytes.simulate(name)


@pytest.mark.parametrize("name", names())
def test_builtin_runs_and_describes_itself(name):
    result = run(name)
    titles = {n: (t, d) for n, t, d in describe()}
    assert titles[name][0] and len(titles[name][1]) > 20
    runs = result.arms.values() if hasattr(result, "arms") else [result]
    for r in runs:
        assert np.all(np.isfinite(r["K_serum"])) and r["K_serum"].min() > 1.5


def test_refractory_hypokalemia_k_alone_fails_where_mg_helps():
    # V11: in Mg depletion on a diuretic, K alone leaves serum K lower and urinary K higher than K with Mg;
    # Mg repletion alone raises serum K
    r = run("refractory_hypokalemia")
    start = r["K_alone"]["K_serum"][0]
    assert start < 3.8 and r["K_alone"]["Mg_serum"][0] < 0.7  # hypokalaemia with hypomagnesaemia
    assert r["K_alone"]["K_serum"][-1] < r["Mg_and_K"]["K_serum"][-1]
    assert r["K_alone"]["K_urine"][-1] > r["Mg_and_K"]["K_urine"][-1]
    assert r["Mg_alone"]["K_serum"][-1] > start
    assert r["Mg_and_K"]["romk_activity"][-1] < r["K_alone"]["romk_activity"][-1]  # the ROMK block is restored


def test_mg_deficiency_wastes_more_k_with_distal_na_delivery():
    # Huang & Kuo 2007: the K deficit that Mg deficiency causes grows when distal Na delivery is high
    deficient = run("mg_deficiency_needs_distal_sodium")
    replete = lytes.simulate(
        scenario("21 d", patient={"weight": "70 kg", "sex": "female", "age": "55 y"}, interventions=[])
        | {"medications": [{"drug": "hydrochlorothiazide", "dose": "50 mg", "every": "24 h"}]}
    )
    healthy = lytes.simulate(scenario("21 d", patient={"weight": "70 kg", "sex": "female", "age": "55 y"}))
    deficit_alone = healthy["K_serum"][-1] - deficient["no_diuretic"]["K_serum"][-1]
    deficit_on_thiazide = replete["K_serum"][-1] - deficient["thiazide"]["K_serum"][-1]
    assert deficit_on_thiazide > deficit_alone > 0
    assert deficient["thiazide"]["K_serum"][-1] < 3.8


def test_diuretic_heart_failure_depletes_k_and_mg():
    r = run("heart_failure_diuretic")
    assert -0.7 <= r["K_serum"][-1] - r["K_serum"][0] <= -0.15  # loop diuretic K -0.3 (Morgan & Davidson 1980)
    assert r["Mg_serum"][-1] < r["Mg_serum"][0] - 0.03
    assert r["body_K"][-1] < r["body_K"][0] and r["body_Mg"][-1] < r["body_Mg"][0]


def test_mgso4_preeclampsia_normal_kidneys():
    r = run("mgso4_preeclampsia")
    assert 1.7 <= r.at("Mg_serum", 0.5) / r["Mg_serum"][0] <= 2.3  # V02
    assert r["Mg_serum"].max() < 2.0  # V02: 1 g/h stays below 2 mmol/L
    assert r.at("PTH", 1) < 0.75 * r["PTH"][0]  # V06
    assert r["Ca_ionized"].min() < r["Ca_ionized"][0] - 0.05
    assert r["Mg_serum"][-1] < 1.2 and r["Ca_ionized"][-1] > r["Ca_ionized"].min()  # resolves after the stop


def test_mgso4_renal_impairment_hyperkalemia_and_hypocalcemia_resolve():
    r = run("mgso4_renal_impairment")
    normal = run("mgso4_preeclampsia")
    assert r["Mg_serum"].max() > normal["Mg_serum"].max() + 1.0  # V05
    assert r["K_serum"].max() - r["K_serum"][0] > 0.4  # V07
    assert r["Ca_ionized"].min() < 1.0
    assert r["Mg_serum"][-1] < r["Mg_serum"].max() - 1.0


def test_laxative_in_renal_failure_causes_hypermagnesemia():
    r = run("laxative_renal_failure")
    healthy_kidney = lytes.simulate(
        scenario(
            "28 d",
            interventions=[
                {"at": "8 h", "give": "Mg hydroxide", "route": "oral", "dose": "2.4 g", "every": "12 h", "for": "28 d"}
            ],
        )
    )
    assert r["Mg_serum"][-1] > 1.05  # above the normal range
    assert healthy_kidney["Mg_serum"][-1] < 1.0  # normal kidneys clear it
    assert r["Mg_serum"][-1] - r["Mg_serum"][0] > healthy_kidney["Mg_serum"][-1] - healthy_kidney["Mg_serum"][0]


def test_beta_blocker_amplifies_hyperkalemia_with_high_mg():
    r = run("beta_blocker_high_mg")
    assert r["propranolol"]["K_serum"].max() > r["no_beta_blocker"]["K_serum"].max()
    assert r["no_beta_blocker"]["K_serum"].max() > r["no_beta_blocker"]["K_serum"][0] + 0.3


def test_tissue_breakdown_hyperkalemia_only_with_renal_failure():
    # V21: hyperkalaemia (>= 5.5) in rhabdomyolysis only with renal impairment
    normal = run("tissue_breakdown")
    failing = run("tissue_breakdown_renal_failure")
    assert normal["K_serum"].max() < 5.5
    assert failing["K_serum"].max() > 5.5
    assert normal["K_serum"].max() > normal["K_serum"][0] + 0.2  # the release is visible
    assert failing["Mg_serum"].max() > failing["Mg_serum"][0] + 0.1  # Mg is released too


def test_high_k_intake_leaves_mg_unchanged():
    r = run("high_k_intake_mg_unchanged")
    usual, triple = r["usual"], r["triple_K"]
    assert abs(triple["Mg_serum"][-1] - usual["Mg_serum"][-1]) < 0.02
    assert 0.1 < triple["K_serum"][-1] - usual["K_serum"][-1] < 1.0
    assert triple["K_urine_rate"][-1] > 2.5 * usual["K_urine_rate"][-1]


def test_ppi_hypomagnesemia_extrarenal_and_reversible():
    r = run("ppi_hypomagnesemia")
    on = r["continue_PPI"]
    assert on["Mg_serum"][0] < 0.5  # hypomagnesaemia after four years (Janett 2015: median 0.24 mmol/L)
    assert on["FE_Mg"][0] < 2.0  # extrarenal: the kidney conserves (Tucker 2020)
    assert on["K_serum"][0] < 3.5  # with hypokalaemia (27/31 in Janett 2015)
    off = r["stop_PPI_and_Mg"]
    assert off["Mg_serum"][-1] > on["Mg_serum"][-1] + 0.1


def test_gitelman_in_v16_bands():
    r = run("gitelman")
    healthy = run("healthy")
    assert 2.5 <= r["K_serum"][-1] <= 3.4
    assert 0.4 <= r["Mg_serum"][-1] <= 0.7
    assert r["FE_Mg"][-1] > 4
    assert r["Ca_urine_rate"][-1] < 0.8 * healthy["Ca_urine_rate"][-1]  # hypocalciuria


def test_bartter_in_v17_bands():
    r = run("bartter")
    healthy = run("healthy")
    assert r["K_serum"][-1] < 3.5
    assert r["Ca_urine_rate"][-1] >= healthy["Ca_urine_rate"][-1]
    assert r["Mg_serum"][-1] >= 0.6


def test_krt_fluid_without_k_and_mg_causes_hypokalemia_and_hypomagnesemia():
    r = run("kidney_replacement_therapy")
    free, full = r["K_Mg_free_fluid"], r["K_Mg_fluid"]
    assert free["K_serum"][-1] < 3.5 and free["Mg_serum"][-1] < 0.7
    assert 3.5 <= full["K_serum"][-1] <= 5.5 and full["Mg_serum"][-1] >= 0.7
    assert free.balance["K"].other > 0  # removed by the circuit


def test_mg_supplement_lowers_cell_sodium():
    r = run("mg_supplement_cell_sodium")
    assert r["MgO"]["Na_cell"][-1] < r["no_Mg"]["Na_cell"][-1]
    assert r["MgO"]["Mg_cell_free"][-1] > r["no_Mg"]["Mg_cell_free"][-1]


def test_hypermagnesemia_treatments():
    r = run("hypermagnesemia_treatment")
    stop = r["stop_source"]
    assert stop["Mg_serum"][0] > 3.0
    assert r["hemodialysis"].at("Mg_serum", 6) < stop.at("Mg_serum", 6) - 0.3  # dialysis is fastest
    # at Mg ~3-4 the thick limb reabsorbs almost no Mg (CaSR), FE_Mg is ~85 %: a loop diuretic with saline can add at
    # most the rest, so it barely changes Mg excretion at eGFR 30, while 4 h of dialysis removes more than a day's urine
    assert stop["FE_Mg"][0] > 70
    assert abs(r["loop_and_saline"].at("Mg_urine", 12) / stop.at("Mg_urine", 12) - 1) < 0.15
    assert r["hemodialysis"].balance["Mg"].other > stop.at("Mg_urine", 12)
    assert r["calcium"].at("Ca_ionized", 0.5) > stop.at("Ca_ionized", 0.5) + 0.05  # calcium protects the membrane


def test_foods_diet_supplies_k_and_mg():
    r = run("foods_diet")
    assert r.balance["K"].intake / 14 > 60  # the foods bring K intake to the recommended range
    assert r.balance["Mg"].intake / 14 > 10
    assert 3.5 <= r["K_serum"][-1] <= 5.0 and 0.7 <= r["Mg_serum"][-1] <= 1.0

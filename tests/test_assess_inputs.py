"""lytes assess, clinical inputs (issue 10, items 5-6): reflexes, respiratory rate, ECG, urine output, dialysis,
phosphate, PTH and urine K/Mg/creatinine each change the reading where the literature says so, and not when normal;
bad values are refused in one line naming the field; what was assumed is said."""

import json
import subprocess
import sys

import pytest

import lytes
from lytes.errors import InputError
from lytes.reading.assess import texts

from .test_assess import CASES as LAB_CASES

HIGH_MG = {"Mg": "1.6 mmol/L"}

CASES = [
    # code, inputs that must fire it, inputs where it must not
    (
        "mg_toxicity_signs",
        {"labs": HIGH_MG, "reflexes": "absent"},
        {"labs": HIGH_MG, "reflexes": "normal", "resp_rate": 16},
    ),
    (
        "hyperkalemia_ecg_changes",
        {"labs": {"K": "5.6 mmol/L"}, "ecg": ["peaked_t"]},
        {"labs": {"K": "5.6 mmol/L"}, "ecg": ["normal"]},
    ),
    (
        "hypokalemia_ecg_changes",
        {"labs": {"K": "3.2 mmol/L", "Mg": "0.8 mmol/L"}, "ecg": ["u_waves"]},
        {"labs": {"K": "4.2 mmol/L", "Mg": "0.8 mmol/L"}, "ecg": ["u_waves"]},
    ),
    (
        "long_qt_electrolytes",
        {"labs": {"K": "4.2 mmol/L", "Mg": "0.55 mmol/L"}, "ecg": ["long_qt"]},
        {"labs": {"K": "4.2 mmol/L", "Mg": "0.85 mmol/L", "iCa": "1.2 mmol/L"}, "ecg": ["long_qt"]},
    ),
    (
        "oliguria_accumulation_risk",
        {"labs": {"Mg": "0.9 mmol/L"}, "meds": ["MgSO4"], "urine_output": "20 mL/h", "weight": "70 kg"},
        {"labs": {"Mg": "0.9 mmol/L"}, "meds": ["MgSO4"], "urine_output": "60 mL/h", "weight": "70 kg"},
    ),
    (
        "fe_mg_indeterminate",
        # FE_Mg = 100 * (U_Mg * P_Cr) / (0.7 * P_Mg * U_Cr) = 100 * 1.0 * 0.0884 / (0.7 * 0.5 * 8) = 3.2 %
        {
            "labs": {"Mg": "0.5 mmol/L", "creatinine": "1.0 mg/dL"},
            "urine": {"Mg": "1.0 mmol/L", "creatinine": "8 mmol/L"},
        },
        {
            "labs": {"Mg": "0.5 mmol/L", "creatinine": "1.0 mg/dL"},
            "urine": {"Mg": "2.0 mmol/L", "creatinine": "8 mmol/L"},
        },
    ),
    (
        "renal_k_loss",
        {"labs": {"K": "3.0 mmol/L", "Mg": "0.8 mmol/L"}, "urine": {"K": "40 mmol/L", "creatinine": "8 mmol/L"}},
        {"labs": {"K": "3.0 mmol/L", "Mg": "0.8 mmol/L"}, "urine": {"K": "8 mmol/L", "creatinine": "8 mmol/L"}},
    ),
    (
        "extrarenal_k_loss",
        {"labs": {"K": "3.0 mmol/L", "Mg": "0.8 mmol/L"}, "urine": {"K": "10 mmol/day"}},
        {"labs": {"K": "3.0 mmol/L", "Mg": "0.8 mmol/L"}, "urine": {"K": "60 mmol/day"}},
    ),
    ("hypophosphatemia", {"labs": {"phosphate": "0.5 mmol/L"}}, {"labs": {"phosphate": "3.5 mg/dL"}}),
    ("hyperphosphatemia", {"labs": {"phosphate": "7 mg/dL"}}, {"labs": {"phosphate": "1.1 mmol/L"}}),
    (
        "mg_prophylaxis_level",
        {"labs": {"Mg": "2.4 mmol/L"}, "meds": ["MgSO4"], "conditions": ["preeclampsia"]},
        {"labs": {"Mg": "2.4 mmol/L"}, "meds": ["MgSO4"]},
    ),
    (
        "hypocalcemia_pth",
        {"labs": {"iCa": "0.95 mmol/L", "Mg": "0.35 mmol/L", "PTH": "20 pg/mL"}},
        {"labs": {"iCa": "1.2 mmol/L", "Mg": "0.35 mmol/L", "PTH": "20 pg/mL"}},
    ),
]


@pytest.mark.parametrize("code, fires, quiet", CASES, ids=[c[0] for c in CASES])
def test_each_input_fires_its_finding_only_where_it_should(code, fires, quiet):
    assert code in lytes.assess(**fires).codes()
    assert code not in lytes.assess(**quiet).codes()


def test_every_finding_code_is_covered_here_or_in_test_assess():
    assert {c[0] for c in CASES} | {c[0] for c in LAB_CASES} == set(texts())


def _finding(result, code):
    return next(f for f in result.findings if f.code == code)


def test_absent_reflexes_or_slow_breathing_make_high_mg_urgent_whatever_the_level():
    # ACOG 2020; Euser & Cipolla 2009: the signs decide, not the last level
    assert _finding(lytes.assess(HIGH_MG), "hypermagnesemia").severity == "warn"
    for signs in ({"reflexes": "absent"}, {"resp_rate": 10}, {"resp_rate": "10/min"}):
        a = lytes.assess(HIGH_MG, **signs)
        assert _finding(a, "hypermagnesemia").severity == "urgent"
        assert _finding(a, "mg_toxicity_signs").severity == "urgent"
    assert _finding(lytes.assess(HIGH_MG, reflexes="depressed"), "mg_toxicity_signs").severity == "warn"
    # on MgSO4 with no level yet: the signs alone fire it
    assert "mg_toxicity_signs" in lytes.assess({"K": "4.0 mmol/L"}, meds=["MgSO4"], resp_rate=9).codes()
    # a measured normal Mg: absent reflexes are not Mg toxicity
    assert "mg_toxicity_signs" not in lytes.assess({"Mg": "0.9 mmol/L"}, reflexes="absent").codes()
    # no Mg and no source: the reading asks for Mg
    assert any(m.startswith("Mg") for m in lytes.assess({"K": "4.0 mmol/L"}, reflexes="absent").missing)


def test_ecg_changes_of_hyperkalaemia_make_it_urgent_whatever_the_k():
    # UK Kidney Association 2020; KDIGO (Clase 2020): ECG changes -> IV calcium whatever the level
    assert _finding(lytes.assess({"K": "5.6 mmol/L"}), "hyperkalemia").severity == "warn"
    for change in ("peaked_t", "wide QRS", "absent-p", "sine_wave"):
        a = lytes.assess({"K": "5.6 mmol/L"}, ecg=[change])
        assert _finding(a, "hyperkalemia").severity == "urgent"
    a = lytes.assess({"Mg": "0.8 mmol/L"}, ecg=["sine_wave"])  # no K measured: treat as hyperkalaemia
    assert _finding(a, "hyperkalemia_ecg_changes").severity == "urgent"
    assert "hyperkalemia_ecg_changes" not in lytes.assess({"K": "4.5 mmol/L"}, ecg=["peaked_t"]).codes()


def test_u_waves_with_low_k_make_hypokalaemia_urgent():
    labs = {"K": "3.2 mmol/L", "Mg": "0.8 mmol/L"}
    assert _finding(lytes.assess(labs), "hypokalemia").severity == "warn"
    assert _finding(lytes.assess(labs, ecg="u_waves"), "hypokalemia").severity == "urgent"


def test_oliguria_per_kg_uses_the_weight_and_says_when_it_assumed_it():
    labs, meds = {"K": "5.4 mmol/L"}, ["spironolactone"]
    # 30 mL/h: oliguric for 80 kg (0.375 mL/kg/h), not for 50 kg (0.6)
    assert "oliguria_accumulation_risk" in lytes.assess(labs, meds=meds, urine_output="30 mL/h", weight=80).codes()
    assert "oliguria_accumulation_risk" not in lytes.assess(labs, meds=meds, urine_output="30 mL/h", weight=50).codes()
    a = lytes.assess(labs, meds=meds, urine_output="500 mL/day")  # 20.8 mL/h at an assumed 70 kg
    assert _finding(a, "oliguria_accumulation_risk").severity == "urgent"  # K already high
    assert any("70 kg" in s for s in a.assumptions)
    # oliguria without a Mg source or K load does not fire it
    assert "oliguria_accumulation_risk" not in lytes.assess({"K": "4.0 mmol/L"}, urine_output="10 mL/h").codes()


def test_dialysis_stops_the_egfr_from_creatinine_and_raises_the_mg_source_risk():
    labs = {"Mg": "1.2 mmol/L", "creatinine": "7.0 mg/dL"}
    a = lytes.assess(labs, meds=["Mg hydroxide"], dialysis="haemodialysis", age=60, sex="male")
    assert a.egfr is None and "dialysis" in a.egfr_basis
    assert _finding(a, "hypermagnesemia_renal_risk").severity == "urgent"
    none = lytes.assess({"Mg": "0.9 mmol/L"}, meds=["Mg hydroxide"], dialysis="none")
    assert "hypermagnesemia_renal_risk" not in none.codes()
    assert any(m.startswith("kidney function") for m in none.missing)
    pd = lytes.assess({"Mg": "0.9 mmol/L"}, meds=["Mg hydroxide"], dialysis="PD")
    assert "hypermagnesemia_renal_risk" in pd.codes() and not any("creatinine" in m for m in pd.missing)


def test_urine_in_mg_dl_and_the_missing_serum_creatinine_is_named():
    # urine Mg 2.43 mg/dL = 1.0 mmol/L; urine creatinine 90.5 mg/dL = 8.0 mmol/L -> FE_Mg 3.2 %
    labs = {"Mg": "0.5 mmol/L", "creatinine": "1.0 mg/dL"}
    a = lytes.assess(labs, urine={"Mg": "2.431 mg/dL", "creatinine": "90.48 mg/dL"})
    assert _finding(a, "fe_mg_indeterminate").values["FE_Mg_percent"] == pytest.approx(3.16, abs=0.05)
    no_cr = lytes.assess({"Mg": "0.5 mmol/L"}, urine={"Mg": "1.0 mmol/L", "creatinine": "8 mmol/L"})
    assert any(m.startswith("serum creatinine") for m in no_cr.missing)
    no_ucr = lytes.assess(labs, urine={"Mg": "1.0 mmol/L"})
    assert any(m.startswith("urine creatinine") for m in no_ucr.missing)


def test_phosphate_and_pth_units():
    a = lytes.assess({"phosphate": "3.1 mg/dL", "PTH": "5.3 pmol/L"})
    assert a.labs["phosphate"] == pytest.approx(1.0, abs=0.01) and a.labs["PTH"] == pytest.approx(50, abs=0.1)
    low = lytes.assess({"iCa": "0.95 mmol/L", "Mg": "0.35 mmol/L", "PTH": "20 pg/mL"})
    assert _finding(low, "hypocalcemia_pth").severity == "warn"
    high = lytes.assess({"iCa": "0.95 mmol/L", "Mg": "0.85 mmol/L", "PTH": "150 pg/mL"})
    assert (
        _finding(high, "hypocalcemia_pth").severity == "info"
        and "secondary" in _finding(high, "hypocalcemia_pth").summary
    )


@pytest.mark.parametrize(
    "options, field",
    [
        ({"reflexes": "brisk"}, "reflexes"),
        ({"resp_rate": "fast"}, "resp_rate"),
        ({"resp_rate": 200}, "resp_rate"),
        ({"ecg": ["st_elevation"]}, "ecg"),
        ({"urine_output": "30 mL"}, "urine_output"),
        ({"urine_output": "30"}, "urine_output"),
        ({"dialysis": "sometimes"}, "dialysis"),
        ({"age": 5}, "age"),
        ({"sex": "m"}, "sex"),
        ({"weight": "80 L"}, "weight"),
        ({"urine": {"Zn": "1 mmol/L"}, "labs": {"K": "3.0 mmol/L"}}, "--urine"),
        ({"urine": {"K": "3 g"}, "labs": {"K": "3.0 mmol/L"}}, "urine K"),
    ],
)
def test_bad_inputs_are_refused_naming_the_field(options, field):
    labs = options.pop("labs", {"K": "4.0 mmol/L"})
    with pytest.raises(InputError) as info:
        lytes.assess(labs, **options)
    assert info.value.field == field and "\n" not in str(info.value)


def test_egfr_assumptions_are_stated_and_only_when_made():
    a = lytes.assess({"creatinine": "1.4 mg/dL"})
    assert a.assumptions == ["eGFR assumes age 60, male: give --age and --sex"]
    assert "assumed age 60, male" in a.egfr_basis and a.to_dict()["assumptions"] == a.assumptions
    assert lytes.assess({"creatinine": "1.4 mg/dL"}, age=70).assumptions == ["eGFR assumes male: give --sex"]
    assert lytes.assess({"creatinine": "1.4 mg/dL"}, age=70, sex="female").assumptions == []
    assert lytes.assess({"K": "4 mmol/L"}, egfr=40).egfr_basis == "given"


def test_missing_asks_only_for_what_changes_this_reading():
    assert lytes.assess({"K": "4.2 mmol/L"}).missing == []  # a normal K with no Mg-relevant drug: no Mg asked
    assert any(m.startswith("Mg") for m in lytes.assess({"K": "4.2 mmol/L"}, meds=["omeprazole"]).missing)
    assert any(m.startswith("creatinine") for m in lytes.assess({"K": "5.8 mmol/L"}).missing)
    assert not any("creatinine" in m for m in lytes.assess({"K": "5.8 mmol/L"}, egfr=25).missing)
    assert not any("creatinine" in m for m in lytes.assess({"K": "5.8 mmol/L"}, conditions=["esrd"]).missing)
    assert any(m.startswith("K") for m in lytes.assess({"Mg": "0.5 mmol/L"}).missing)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lytes", "assess", *args], capture_output=True, text=True)


def test_cli_flags_and_the_stated_assumption():
    proc = _cli(
        "--lab", "Mg=3.2 mmol/L", "--lab", "creatinine=1.4 mg/dL", "--med", "MgSO4", "--reflexes", "absent",
        "--resp-rate", "10", "--ecg", "wide_qrs", "--ecg", "long_qt", "--urine-output", "300 mL/day",
        "--dialysis", "none", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    codes = {f["code"]: f["severity"] for f in data["findings"]}
    assert codes["mg_toxicity_signs"] == "urgent" and codes["oliguria_accumulation_risk"] == "urgent"
    assert data["inputs"]["reflexes"] == "absent" and data["inputs"]["ecg"] == ["wide_qrs", "long_qt"]
    assert "eGFR assumes age 60, male: give --age and --sex" in data["assumptions"]
    text = _cli("--lab", "creatinine=1.4 mg/dL")
    assert text.returncode == 0 and "eGFR assumes age 60, male: give --age and --sex" in text.stdout
    quiet = _cli("--lab", "creatinine=1.4 mg/dL", "--age", "70", "--sex", "male", "--json")
    assert json.loads(quiet.stdout)["assumptions"] == []


@pytest.mark.parametrize(
    "flag, value",
    [("--reflexes", "brisk"), ("--resp-rate", "-3"), ("--ecg", "st_elevation"), ("--urine-output", "lots"),
     ("--dialysis", "sometimes")],
)  # fmt: skip
def test_cli_bad_clinical_input_exits_2_naming_the_flag(flag, value):
    proc = _cli("--lab", "K=4.0 mmol/L", flag, value)
    assert proc.returncode == 2 and proc.stderr.startswith(f"error: {flag}:") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1

"""Issue 8, item 5: solver warnings (RuntimeWarning from the generated code, ODEintWarning, LSODA's own messages)
never reach the user's terminal - in the library or on the command line - however stressful the scenario."""

import subprocess
import sys
import warnings

import pytest
import yaml

import lytes
from lytes.errors import InputError

STRESS = {
    "renal_failure_crisis": {
        "name": "hyperkalaemia in renal failure: lysis, insulin, dialysis and CRRT without K",
        "patient": {"egfr": "8 mL/min/1.73m2", "conditions": ["heart_failure"], "labs": {"K": "7.5 mmol/L"}},
        "medications": [{"drug": "spironolactone", "dose": "50 mg"}, {"drug": "furosemide", "dose": "80 mg"}],
        "interventions": [
            {"at": "0 h", "event": "tissue_breakdown", "muscle": "2 kg", "over": "6 h"},
            {"at": "1 h", "give": "insulin", "route": "iv", "dose": "10 U"},
            {"at": "1 h", "give": "albuterol", "route": "nebulized", "dose": "20 mg"},
            {
                "at": "2 h",
                "event": "hemodialysis",
                "for": "4 h",
                "dialysate": {"K": "0 mmol/L", "Mg": "0 mmol/L", "Ca": "0 mmol/L"},
                "blood_flow": "600 mL/min",
            },
            {"at": "8 h", "event": "crrt", "for": "2 d", "effluent": "10 L/h", "fluid": {"K": "0 mmol/L"}},
        ],
        "duration": "3 d",
    },
    "severe_depletion_repleted": {
        "name": "severe K and Mg depletion on a loop diuretic and a PPI, repleted fast",
        "patient": {"labs": {"K": "1.6 mmol/L", "Mg": "0.16 mmol/L", "Ca": "1.6 mmol/L"}},
        "medications": [
            {"drug": "furosemide", "dose": "80 mg", "every": "12 h"},
            {"drug": "omeprazole", "dose": "40 mg"},
        ],
        "interventions": [
            {"at": "0 h", "give": "MgSO4", "route": "iv", "dose": "4 g", "over": "10 min"},
            {"at": "0 h", "give": "KCl", "route": "iv", "rate": "20 mmol/h", "for": "10 h"},
            {"at": "0 h", "give": "Ca gluconate", "route": "iv", "dose": "2 g", "over": "10 min"},
        ],
        "duration": "2 d",
    },
    "mg_overload_in_aki": {
        "name": "MgSO4 at the top of its range into an acute kidney injury",
        "patient": {"sex": "female", "conditions": ["preeclampsia", {"condition": "aki", "egfr": "5 mL/min/1.73m2"}]},
        "interventions": [
            {"at": "0 h", "give": "MgSO4", "route": "iv", "dose": "6 g", "over": "15 min"},
            {"at": "15 min", "give": "MgSO4", "route": "iv", "rate": "3 g/h", "for": "24 h"},
        ],
        "duration": "2 d",
    },
    "years_of_ppi_with_diarrhoea": {
        "name": "years of a PPI and a thiazide with chronic diarrhoea, then a Mg laxative",
        "patient": {"egfr": "30 mL/min/1.73m2", "conditions": ["alcohol_use_disorder"]},
        "history": {
            "duration": "3 y",
            "conditions": [{"condition": "diarrhea", "K": "40 mmol/day", "Mg": "3 mmol/day"}],
            "medications": [{"drug": "omeprazole", "dose": "40 mg"}, {"drug": "hydrochlorothiazide", "dose": "50 mg"}],
        },
        "medications": [{"drug": "omeprazole", "dose": "40 mg"}, {"drug": "hydrochlorothiazide", "dose": "50 mg"}],
        "interventions": [
            {"at": "1 d", "give": "Mg hydroxide", "route": "oral", "dose": "2 g", "every": "8 h", "for": "3 d"}
        ],
        "duration": "30 d",
    },
}
WARNING_TEXT = ("Warning", "warning", "lsoda", "intdy", "Traceback", "invalid value", "overflow", "divide by zero")


@pytest.mark.parametrize("name", list(STRESS))
def test_stressful_scenarios_raise_no_warning(name, capfd):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            lytes.simulate(STRESS[name])
        except InputError as exc:  # a refusal is an answer; it must be one line
            assert "\n" not in str(exc)
    assert not caught, [str(w.message) for w in caught]
    out, err = capfd.readouterr()  # also what the Fortran solver might print past Python
    assert not any(text in out + err for text in WARNING_TEXT), out + err


def test_the_command_line_prints_no_warning(tmp_path):
    for name, data in STRESS.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data))
        proc = subprocess.run([sys.executable, "-m", "lytes", "run", str(path)], capture_output=True, text=True)
        assert proc.returncode in (0, 2), proc.stderr
        assert not any(text in proc.stderr for text in WARNING_TEXT), proc.stderr
        assert proc.returncode == 0 or proc.stderr.count("\n") == 1  # a refusal is one line

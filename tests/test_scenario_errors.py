"""Bad input: a one-line error naming the field, the value and what is allowed; exit code 2; nothing written."""

import subprocess
import sys

import pytest

import lytes
from lytes.errors import InputError

from .conftest import give, scenario

BAD = [
    ({"name": "x", "duraton": "2 d"}, "duraton"),  # unknown key
    ({"patient": {"weight": "70"}}, "patient.weight"),  # no unit
    ({"patient": {"weight": "70 mmol"}}, "patient.weight"),  # wrong unit
    ({"patient": {"egfr": "0 mL/min/1.73m2"}}, "patient.egfr"),
    ({"patient": {"egfr": "-5 mL/min/1.73m2"}}, "patient.egfr"),
    ({"patient": {"sex": "other"}}, "patient.sex"),
    ({"patient": {"conditions": ["pregnancy"], "sex": "male"}}, "patient.conditions"),
    ({"patient": {"conditions": ["martian"]}}, "patient.conditions[0]"),
    ({"duration": "6 y"}, "duration"),
    ({"duration": "-1 h"}, "duration"),
    ({"diet": {"K": "80 kg/day"}}, "diet.K"),
    ({"diet": {"K": "-5 mmol/day"}}, "diet.K"),
    (scenario(interventions=[give("0 h", "MgSO4", "iv", rate="4 kg", for_="2 h")]), "interventions[0].rate"),
    (scenario(interventions=[give("0 h", "MgSO4", "iv", rate="4 kg/h", for_="2 h")]), "interventions[0].rate"),
    (scenario(interventions=[give("0 h", "KCl", "oral", dose="-40 mmol")]), "interventions[0].dose"),
    (scenario(interventions=[give("0 h", "KCl", "oral", dose="4000 mmol")]), "interventions[0].dose"),
    (scenario(interventions=[give("0 h", "KCI", "oral", dose="40 mmol")]), "interventions[0].give"),  # typo
    (scenario(interventions=[give("0 h", "MgSO4", "oral", dose="2 g")]), "interventions[0].route"),
    (scenario(interventions=[give("0 h", "KCl", "oral", dose="40 mmol", every="8 h")]), "interventions[0].every"),
    (scenario(interventions=[give("0 h", "MgSO4", "iv", dose="4 g")]), "interventions[0].over"),
    (scenario(interventions=[give("100 h", "KCl", "oral", dose="40 mmol")]), "interventions[0].at"),
    (
        scenario(interventions=[{"at": "0 h", "give": "KCl", "dose": "40 mmol", "colour": "red"}]),
        "interventions[0].colour",
    ),
]


@pytest.mark.parametrize("data, field", BAD)
def test_bad_input_names_the_field(data, field):
    with pytest.raises(InputError) as info:
        lytes.simulate(data)
    assert info.value.field == field
    message = str(info.value)
    assert "\n" not in message and "expected" in message


def test_unknown_product_suggests_the_closest_name():
    with pytest.raises(InputError, match="did you mean KCl"):
        lytes.simulate(scenario(interventions=[give("0 h", "KCI", "oral", dose="40 mmol")]))


def test_cli_bad_input_exits_2_without_traceback_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninterventions:\n  - {at: 0 h, give: MgSO4, route: iv, rate: 4 kg, for: 2 h}\n")
    csv, png = tmp_path / "out.csv", tmp_path / "out.png"
    proc = subprocess.run(
        [sys.executable, "-m", "lytes", "run", str(bad), "--csv", str(csv), "--plot", str(png)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "interventions[0].rate" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not csv.exists() and not png.exists()


def test_cli_unknown_scenario_exits_2():
    proc = subprocess.run([sys.executable, "-m", "lytes", "run", "no-such-scenario"], capture_output=True, text=True)
    assert proc.returncode == 2 and "healthy" in proc.stderr and "Traceback" not in proc.stderr


def test_daily_maximum_of_a_product_is_enforced():
    regimen = [give("0 h", "KCl", "oral", dose="100 mmol", every="4 h", for_="2 d")]  # 600 mmol/day
    with pytest.raises(InputError, match="in any 24 h") as info:
        lytes.simulate(scenario(interventions=regimen))
    assert info.value.field == "interventions"


def test_diet_outside_survivable_chronic_range_is_refused():
    with pytest.raises(InputError) as info:
        lytes.simulate(scenario(diet={"Na": "0 mmol/day"}))
    assert info.value.field == "diet.Na"

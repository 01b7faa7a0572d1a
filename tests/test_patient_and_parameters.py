"""Patient inputs and the parameter table."""

import math

import pytest

from lytes.model.parameters import EVIDENCE, table
from lytes.patient import Patient, ckd_epi_2021
from lytes.units import registry


@pytest.mark.parametrize(
    "creatinine, age, sex, expected",
    # CKD-EPI 2021 (Inker, NEJM 2021): values as given by the NKF eGFR calculator
    [(1.0, 50, "male", 92), (0.8, 50, "female", 90), (2.0, 70, "male", 35)],
)
def test_ckd_epi_2021(creatinine, age, sex, expected):
    assert ckd_epi_2021(creatinine, age, sex) == pytest.approx(expected, abs=1.0)


def test_patient_defaults_and_creatinine_route():
    assert Patient().egfr_value == 100
    assert Patient(sex="female", conditions=("pregnancy",)).egfr_value > 100  # GFR rises in pregnancy
    assert Patient(creatinine_mg_dl=2.0, age_y=70).egfr_value < 40


def test_every_parameter_has_value_unit_source_and_grade():
    ureg = registry()
    for p in table().values():
        assert math.isfinite(p.value), p.name
        assert p.evidence in EVIDENCE, p.name
        assert len(p.source) > 10, p.name
        ureg.parse_units(p.unit)  # every unit is a real unit

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


def _body_water(weight: str, sex: str = "female", height: str | None = None, conditions=()) -> float:
    """Total body water (ECF + cell water, L) of a patient at its steady state."""
    import lytes

    patient = {"weight": weight, "sex": sex, "age": "35 y", "conditions": list(conditions)}
    if height:
        patient["height"] = height
    from lytes.scenario.schema import Scenario

    sc = Scenario.from_dict({"name": "water", "patient": patient, "duration": "1 h"})
    r = lytes.simulate(sc, every="1 h")
    return float(r["ECF_volume"][0]), float(r.at("body_K", 0))


def test_body_water_follows_lean_size_not_fat():
    # Watson 1980 (women): TBW = -2.097 + 0.1069 H + 0.2466 W: at 161 cm, 30 L at 60 kg and ~45 L at 120 kg (x1.49)
    ecf_60, k_60 = _body_water("60 kg")
    ecf_120, k_120 = _body_water("120 kg")
    assert 1.35 < ecf_120 / ecf_60 < 1.65
    assert 1.35 < k_120 / k_60 < 1.65  # cell K (lean tissue) too: fat holds little
    # at or below the reference weight the volumes scale with weight
    ecf_50, _ = _body_water("50 kg")
    assert ecf_50 / ecf_60 == pytest.approx(50 / 60, rel=0.01)
    # a taller woman of the same weight is leaner: more water (Watson: +0.107 L per cm)
    tall, _ = _body_water("90 kg", height="180 cm")
    short, _ = _body_water("90 kg", height="150 cm")
    assert tall > 1.1 * short


def test_height_out_of_range_is_refused_naming_the_field():
    from lytes.errors import InputError

    with pytest.raises(InputError, match="patient.height"):
        Patient(height_cm=20)
    with pytest.raises(InputError, match="patient.height"):
        _body_water("70 kg", height="7 m")


def test_a_height_that_no_body_could_have_with_the_weight_is_refused():
    from lytes.errors import InputError

    with pytest.raises(InputError, match="body mass index"):
        Patient(weight_kg=78, height_cm=50)  # BMI 312
    assert Patient(weight_kg=3.5, height_cm=50).height_cm == 50  # a newborn

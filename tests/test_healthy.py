"""The healthy adult holds normal labs with intake equal to output (issue 2, 'done when')."""

import numpy as np
import pytest

import lytes

from .conftest import scenario


@pytest.fixture(scope="module")
def healthy():
    return lytes.simulate("healthy")


@pytest.mark.parametrize(
    "name, low, high",
    [("K_serum", 3.8, 4.6), ("Mg_serum", 0.75, 0.95), ("Na_serum", 136, 144), ("Ca_ionized", 1.1, 1.3)],
)
def test_healthy_labs_in_normal_range_and_steady(healthy, name, low, high):
    y = healthy[name]
    assert low <= y.min() and y.max() <= high
    assert (y.max() - y.min()) / y[0] < 0.01  # drift under 1 % over 7 days


def test_healthy_intake_equals_output(healthy):
    for ion, b in healthy.balance.items():
        assert b.intake > 0
        assert abs(b.urine + b.faeces - b.intake) / b.intake < 1e-6, ion


def test_healthy_physiological_values(healthy):
    # FE_Mg 3-5 % (Tucker 2020), FE_K ~10-20 %, membrane potential of muscle ~ -85 to -90 mV, body K 50-55 mmol/kg
    assert 3 <= healthy["FE_Mg"][0] <= 5
    assert 5 <= healthy["FE_K"][0] <= 25
    assert -95 <= healthy["membrane_potential"][0] <= -80
    assert 50 * 70 <= healthy["body_K"][0] <= 58 * 70
    assert 800 <= healthy["body_Mg"][0] <= 1200  # ~1000 mmol (de Baaij 2015)
    assert healthy["pump_activity"][0] == pytest.approx(1.0)
    assert healthy["romk_activity"][0] == pytest.approx(1.0)
    assert 15 <= healthy["PTH"][0] <= 65


def test_steady_state_depends_on_patient_not_typed_in():
    small = lytes.simulate(scenario("1 d", patient={"weight": "50 kg", "sex": "female", "age": "30 y"}))
    large = lytes.simulate(scenario("1 d", patient={"weight": "100 kg", "sex": "male", "age": "30 y"}))
    assert large["body_K"][0] > 1.5 * small["body_K"][0]  # stores scale with weight and sex
    assert np.allclose(small["K_serum"], small["K_serum"][0], rtol=1e-4)  # and each starts in steady state

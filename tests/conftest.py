"""Shared helpers. Every simulation run by the test suite is checked for mass balance of K, Mg, Na and Ca."""

import numpy as np
import pytest

import lytes.simulation as simulation

BALANCE_TOLERANCE = 1e-6


@pytest.fixture(autouse=True)
def mass_balance_closes_in_every_run(monkeypatch):
    original = simulation.build_result

    def checked(*args, **kwargs):
        result = original(*args, **kwargs)
        for ion, b in result.balance.items():
            assert b.relative_error < BALANCE_TOLERANCE, (
                f"{ion} mass balance off by {b.error:.3g} mmol in {result.name}"
            )
        return result

    monkeypatch.setattr(simulation, "build_result", checked)


def scenario(duration="48 h", patient=None, diet=None, interventions=None, name="test"):
    data = {"name": name, "duration": duration, "interventions": interventions or []}
    if patient:
        data["patient"] = patient
    if diet:
        data["diet"] = diet
    return data


def give(at, product, route, **kw):
    d = {"at": at, "give": product, "route": route}
    for k, v in kw.items():
        d["for" if k == "for_" else k] = v
    return d


@pytest.fixture(scope="module")
def model():
    """The compiled model, the default patient's parameters, usual-diet inputs and their steady state."""
    from lytes.engine import steady
    from lytes.engine.codegen import compiled, parameter_vector
    from lytes.patient import Patient

    c = compiled()
    p = parameter_vector(Patient().model_parameters())
    u = np.array(c.layout.input_defaults)
    for ion, rate in {"K": 80, "Na": 150, "Mg": 12, "Ca": 25}.items():
        u[c.input_index[f"diet_{ion}"]] = rate / 24
    return c, p, u, steady.solve(c, p, u)

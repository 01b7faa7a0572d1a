"""The generated engine: Jacobian agrees with the right-hand side, doses land exactly, steady state is steady."""

import numpy as np
import pytest

import lytes
from lytes.engine.codegen import compiled

from .conftest import give, scenario


def test_generated_jacobian_matches_finite_differences(model):
    c, p, u, y = model
    rng = np.random.default_rng(0)
    y = y * (1 + 0.1 * rng.standard_normal(len(y)))  # away from steady state
    y[[c.index[f"{ion}_in"] for ion in ("K", "Na", "Mg", "Ca")]] = 0
    jac = c.jac(y, 0.0, p, u)
    for j in range(c.n):
        h = 1e-6 * max(abs(y[j]), 1.0)
        yp, ym = y.copy(), y.copy()
        yp[j] += h
        ym[j] -= h
        fd = (c.rhs(yp, 0.0, p, u) - c.rhs(ym, 0.0, p, u)) / (2 * h)
        assert np.allclose(jac[:, j], fd, rtol=1e-4, atol=1e-6 * np.abs(fd).max() + 1e-9), c.layout.states[j]


def test_steady_state_has_zero_net_flux(model):
    c, p, u, y = model
    f = c.rhs(y, 0.0, p, u)
    for i, role in enumerate(c.layout.state_roles):
        if role in ("body", "lumen", "control"):
            assert abs(f[i]) < 1e-8 * max(abs(y[i]), 1.0), c.layout.states[i]


def test_infusion_delivers_exactly_its_dose():
    # 4 g MgSO4.7H2O = 16.23 mmol Mg (molar mass 246.5 g/mol), given over 20 min, sampled at odd times
    base = lytes.simulate(scenario("2 h"), every=0.3)
    r = lytes.simulate(
        scenario("2 h", interventions=[give("0 h", "MgSO4", "iv", dose="4 g", over="20 min")]), every=0.3
    )
    extra = r.balance["Mg"].intake - base.balance["Mg"].intake
    assert extra == pytest.approx(4 * 1000 / 246.47, rel=1e-9)


def test_repeated_oral_doses_count_every_dose():
    r = lytes.simulate(
        scenario("3 d", interventions=[give("2 h", "KCl", "oral", dose="40 mmol", every="8 h", for_="3 d")])
    )
    base = lytes.simulate(scenario("3 d"))
    assert r.balance["K"].intake - base.balance["K"].intake == pytest.approx(9 * 40)


def test_numba_engine_matches_python_engine(model):
    pytest.importorskip("numba")
    c, p, u, y = model
    nb = compiled("numba")
    assert nb.jit == "numba"
    y = y * 1.05
    assert np.allclose(nb.rhs(y, 0.0, p, u), c.rhs(y, 0.0, p, u), rtol=1e-10, atol=1e-12)
    assert np.allclose(nb.jac(y, 0.0, p, u), c.jac(y, 0.0, p, u), rtol=1e-10, atol=1e-12)

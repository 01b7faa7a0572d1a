"""Issue 13: the same scenario gives the same numbers on every run, and every output names what produced it."""

import json
import subprocess
import sys

import numpy as np

import lytes


def test_the_same_scenario_gives_the_same_numbers():
    for name in ("refractory_hypokalemia", "hemodialysis_week"):
        a, b = lytes.simulate(name), lytes.simulate(name)
        runs = (a.arms, b.arms) if hasattr(a, "arms") else ({"main": a}, {"main": b})
        for arm in runs[0]:
            for key, series in runs[0][arm].series.items():
                assert np.array_equal(series, runs[1][arm].series[key]), (name, arm, key)


def test_outputs_name_the_version_and_model():
    data = lytes.simulate("healthy").to_dict()
    assert data["lytes_version"] == lytes.__version__ and len(data["model"]) == 12
    proc = subprocess.run([sys.executable, "-m", "lytes", "run", "healthy"], capture_output=True, text=True)
    assert f"lytes {lytes.__version__}, model {data['model']}" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "lytes", "assess", "--lab", "K=3.1 mmol/L", "--json"], capture_output=True, text=True
    )
    assert json.loads(proc.stdout)["model"] == data["model"]

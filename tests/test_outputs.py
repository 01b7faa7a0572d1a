"""Notebook and data habits: plots into the caller's axes without touching matplotlib's backend, an HTML summary,
xarray, a plain CSV with a JSON sidecar, provenance and the scenario as run in every output, ``every`` with units,
``lytes scenarios --show``, parallel local sensitivity and global sensitivity (SALib)."""

import json
import subprocess
import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import lytes
from lytes.errors import InputError
from lytes.result import sidecar_path


@pytest.fixture(scope="module")
def run():
    return lytes.simulate("mgso4_renal_impairment", every="1 h")


@pytest.fixture(scope="module")
def arms():
    return lytes.simulate("refractory_hypokalemia", every="2 h")


def lytes_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "lytes", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def svg_backend():
    """A backend that is not Agg, so a plot that switched to Agg would show."""
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    yield "svg"
    matplotlib.use(before)


def test_plot_draws_into_the_callers_axes_and_leaves_the_backend(run, arms, svg_backend, tmp_path):
    fig = Figure()
    axes = fig.subplots(1, 2)
    assert run.plot(ax=axes, names=["K_serum", "Mg_serum"]) is fig
    assert [len(a.lines) for a in axes] == [1, 1] and axes[0].get_ylabel() == "K_serum [mmol/L]"
    np.testing.assert_array_equal(axes[1].lines[0].get_ydata(), run["Mg_serum"])
    single = Figure().subplots()
    run.plot(ax=single, names="K_serum")
    comparison_axes = Figure().subplots(2, 1)
    arms.plot(ax=comparison_axes, names=("K_serum", "Mg_serum"))
    assert len(comparison_axes[0].lines) == len(arms.arms)
    whole = Figure()
    run.plot(ax=whole)  # a Figure is filled with the default panels
    assert len([a for a in whole.axes if a.lines]) == 6
    run.plot(tmp_path / "run.png")
    arms.plot(tmp_path / "arms.svg")
    assert matplotlib.get_backend().lower() == svg_backend
    assert "matplotlib.pyplot" not in sys.modules or not __import__("matplotlib.pyplot").pyplot.get_fignums()


def test_plot_refuses_too_few_axes_and_unknown_series_in_one_line(run):
    with pytest.raises(InputError, match="^ax: .*one Axes per series"):
        run.plot(ax=Figure().subplots(), names=("K_serum", "Mg_serum"))
    with pytest.raises(InputError, match="^ax: "):
        run.plot(ax="not axes")
    with pytest.raises(InputError, match="^names: 'K_serums'"):
        run.plot(ax=Figure().subplots(), names="K_serums")


def test_saved_plots_carry_the_version_and_model(run, tmp_path):
    from PIL import Image

    stamp = f"lytes {lytes.__version__}, model {run.to_dict()['model']}"
    run.plot(tmp_path / "run.png")
    assert stamp in Image.open(tmp_path / "run.png").text["Software"]
    run.plot(tmp_path / "run.svg")
    assert stamp in (tmp_path / "run.svg").read_text()


def test_html_summary_has_units_findings_balance_and_the_notice(run, arms):
    text = run._repr_html_()
    for needed in ("K_serum", "mmol/L", "pg/mL", "mass balance", "hypermagnesemia", "not a prescription"):
        assert needed in text, needed
    assert f"lytes {lytes.__version__}" in text
    text = arms._repr_html_()
    assert all(arm in text for arm in arms.arms) and "mmol/L" in text and "not a prescription" in text


def test_to_xarray_keeps_units_and_arms(run, arms):
    ds = run.to_xarray()
    assert ds["K_serum"].attrs["units"] == "mmol/L" and ds["time_h"].attrs["units"] == "h"
    np.testing.assert_array_equal(ds["K_serum"].values, run["K_serum"])
    assert "not a prescription" in ds.attrs["notice"] and ds.attrs["lytes_version"] == lytes.__version__
    ds = arms.to_xarray()
    assert list(ds["arm"].values) == list(arms.arms) and ds["K_serum"].shape == (len(arms.arms), len(arms.time_h))
    np.testing.assert_array_equal(ds["K_serum"].sel(arm="K_alone").values, arms["K_alone"]["K_serum"])


def test_csv_reads_back_with_pandas_defaults_exactly(run, arms, tmp_path):
    path = tmp_path / "run.csv"
    run.to_csv(path)
    frame = pd.read_csv(path)
    assert frame.columns[0] == "time_h" and frame.columns[1] == "K_serum [mmol/L]"
    np.testing.assert_array_equal(frame["time_h"].to_numpy(), run.time_h)
    for name, unit in run.units.items():
        np.testing.assert_array_equal(frame[f"{name} [{unit}]"].to_numpy(), run[name])
    meta = json.loads(sidecar_path(path).read_text())
    assert sidecar_path(path).name == "run.csv.json" and meta["csv"] == "run.csv"
    assert "not a prescription" in meta["notice"] and meta["units"]["PTH"] == "pg/mL"
    assert meta["lytes_version"] == lytes.__version__ and len(meta["model"]) == 12
    long = tmp_path / "arms.csv"
    arms.to_csv(long)
    frame = pd.read_csv(long)
    assert list(frame["arm"].unique()) == list(arms.arms)
    mg_first = frame.loc[frame["arm"] == "Mg_first", "K_serum [mmol/L]"]
    np.testing.assert_array_equal(mg_first, arms["Mg_first"]["K_serum"])
    assert set(json.loads(sidecar_path(long).read_text())["arms"]) == set(arms.arms)


def test_cli_outputs_carry_version_model_and_the_scenario_as_run(tmp_path):
    proc = lytes_cli("run", "healthy", "--json", "--every", "12 h")
    data = json.loads(proc.stdout)
    assert data["scenario"]["name"] and data["scenario"]["patient"]["weight"] == "70 kg"
    assert data["lytes_version"] == lytes.__version__ and data["model"]
    # the scenario as run runs again to the same numbers
    again = lytes.simulate(data["scenario"], every="12 h")
    assert again["K_serum"].tolist() == data["arms"]["main"]["series"]["K_serum"]
    proc = lytes_cli("run", "healthy", "--every", "12 h", "--csv", "out.csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "wrote out.csv.json" in proc.stdout
    meta = json.loads((tmp_path / "out.csv.json").read_text())
    assert meta["scenario"] == data["scenario"] and meta["model"] == data["model"] and meta["csv"] == "out.csv"
    assert pd.read_csv(tmp_path / "out.csv")["K_serum [mmol/L]"].tolist() == data["arms"]["main"]["series"]["K_serum"]


def test_every_takes_units_or_hours_and_refuses_the_rest():
    hours = lytes.simulate("healthy", every=12).time_h.tolist()
    assert lytes.simulate("healthy", every="12 h").time_h.tolist() == hours
    assert lytes.simulate("healthy", every="720 min").time_h[1] == 12
    for bad in ("12 kg", "often", [1], float("nan"), True, 0):
        with pytest.raises(InputError, match="^every: "):
            lytes.simulate("healthy", every=bad)


def test_scenarios_show_prints_a_builtins_yaml_or_close_names():
    import yaml

    proc = lytes_cli("scenarios", "--show", "healthy")
    assert proc.returncode == 0 and yaml.safe_load(proc.stdout)["name"]
    proc = lytes_cli("scenarios", "--show", "helthy")
    assert proc.returncode == 2 and "healthy" in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_parallel_local_sensitivity_equals_serial():
    from lytes.validation import cases
    from lytes.validation.sensitivity import sensitivities

    chosen = [cases()["V18"], cases()["V09"]]
    names = ["insulin_EC50", "pump_Km_Ko", "K_feedforward_gain"]
    seen = []
    serial = sensitivities(chosen, names, workers=1, progress=lambda done, total: seen.append((done, total)))
    assert sensitivities(chosen, names, workers=2) == serial
    assert seen[-1] == (len(names) + 1, len(names) + 1)


def test_global_sensitivity_with_a_tiny_sample():
    pytest.importorskip("SALib")
    from lytes.validation import cases
    from lytes.validation.gsa import analyse

    names = ["insulin_EC50", "insulin_pump_gain"]
    found = analyse(cases()["V18"], "morris", n=2, names=names, workers=1)
    assert found.runs == 2 * (len(names) + 1) and found.failed == 0
    first = found.checks[0]["indices"]
    assert {d["parameter"] for d in first} == set(names) and first[0]["mu_star"] >= first[1]["mu_star"] > 0
    proc = lytes_cli(
        "sensitivity", "V18", "--method", "sobol", "--n", "2", "--param", names[0], "--param", names[1], "--json"
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["method"] == "sobol" and data["runs"] == 2 * (len(names) + 2)
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(data["checks"][0]["indices"][0])


def test_global_sensitivity_refuses_bad_requests_in_one_line():
    for args, field in (
        (["V18", "--method", "sobol", "--n", "3"], "--n"),
        (["--method", "morris"], "CASE"),
        (["V18", "--method", "fast"], "--method"),
        (["V18", "--method", "morris", "--param", "no_such"], "--param"),
    ):
        proc = lytes_cli("sensitivity", *args)
        assert proc.returncode == 2 and proc.stderr.startswith(f"error: {field}"), (args, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_a_comparison_has_its_arms_notes_like_a_result():
    comparison = lytes.simulate("k_binders_ckd_diet", every="6 h")
    notes = comparison.notes
    assert notes and len(notes) == len(set(notes))
    # each arm's note is there: one shared by every arm once as it is, the others under their arm's name
    for arm, r in comparison.arms.items():
        for note in r.notes:
            assert note in notes or f"[{arm}] {note}" in notes
    assert any("estimated from labs" in n for n in notes)

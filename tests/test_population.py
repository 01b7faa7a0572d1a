"""Virtual populations (issue 11, items 3 and 4): reproducible by seed whatever the workers, percentile bands in order,
attainment probabilities that agree with the per-patient data, the physiology of the built-ins (lower eGFR -> higher
Mg and more toxicity; Sibai 2 g/h above Zuspan 1 g/h), failures counted, bad specs refused in one line, the CLI."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import lytes
from lytes.errors import InputError
from lytes.population import load

# a small, fast population: MgSO4 4 g + 1 or 2 g/h for 12 h in two eGFR bands, with parameter variability
SPEC = {
    "name": "small MgSO4 population",
    "scenario": {
        "name": "MgSO4 1 vs 2 g/h",
        "patient": {"sex": "female", "weight": "75 kg", "conditions": ["preeclampsia"]},
        "arms": {
            "one_g": {
                "interventions": [
                    {"at": "0 h", "give": "MgSO4", "route": "iv", "dose": "4 g", "over": "20 min"},
                    {"at": "20 min", "give": "MgSO4", "route": "iv", "rate": "1 g/h", "for": "12 h"},
                ]
            },
            "two_g": {
                "interventions": [
                    {"at": "0 h", "give": "MgSO4", "route": "iv", "dose": "4 g", "over": "20 min"},
                    {"at": "20 min", "give": "MgSO4", "route": "iv", "rate": "2 g/h", "for": "12 h"},
                ]
            },
        },
        "duration": "12 h",
    },
    "every": "1 h",
    "quantities": ["Mg_serum"],
    "covariates": {
        "weight": {"dist": "lognormal", "median": "78 kg", "cv": "20 %", "min": "50 kg", "max": "140 kg"},
        "age": {"dist": "uniform", "low": "18 y", "high": "40 y"},
    },
    "subgroups": {
        "normal": {
            "share": "60 %",
            "covariates": {"egfr": {"dist": "uniform", "low": "90 mL/min", "high": "140 mL/min"}},
        },
        "impaired": {
            "share": 0.4,
            "covariates": {"egfr": {"dist": "uniform", "low": "15 mL/min", "high": "35 mL/min"}},
        },
    },
    "parameters": {"by_evidence": True, "cv": {"Na_o_ref": "1.5 %"}},
    "targets": [
        {"name": "Mg 1.8-3.0", "quantity": "Mg_serum", "within": ["1.8 mmol/L", "3.0 mmol/L"], "at": ["4 h", "12 h"]},
        {"kind": "toxicity", "quantity": "K_serum", "above": "5.5 mmol/L", "by": "12 h"},
        {"kind": "toxicity", "quantity": "Mg_serum", "above": "7 mg/dL", "by": ["6 h", "12 h"]},
    ],
}


@pytest.fixture(scope="module")
def small():
    return lytes.population(SPEC, n=16, seed=7, workers=1, progress=False)


def test_the_same_seed_gives_the_same_numbers_whatever_the_workers(small):
    again = lytes.population(SPEC, n=16, seed=7, workers=2, progress=False)
    assert np.array_equal(small.values, again.values, equal_nan=True)
    assert np.array_equal(small.attained, again.attained, equal_nan=True)
    assert small.patients().equals(again.patients())
    # a patient's numbers do not depend on N (nor on the chunks); another seed gives other patients
    fewer = lytes.population(SPEC, n=5, seed=7, workers=1, progress=False)
    assert np.array_equal(fewer.values, small.values[:, :, :5], equal_nan=True)
    other = lytes.population(SPEC, n=5, seed=8, workers=1, progress=False)
    assert not np.allclose(other.patients()["weight_kg"], fewer.patients()["weight_kg"])


def test_covariates_follow_their_distributions_and_subgroups(small):
    info = small.patients()
    assert info["weight_kg"].between(50, 140).all() and info["age_y"].between(18, 40).all()
    normal = info[info["subgroup"] == "normal"]["egfr"]
    impaired = info[info["subgroup"] == "impaired"]["egfr"]
    assert normal.between(90, 140).all() and impaired.between(15, 35).all()
    assert len(normal) + len(impaired) == small.n and len(impaired) > 0 and len(normal) > 0
    assert (info["sex"] == "female").all() and info["pregnant"].all()  # the scenario's pre-eclampsia


def test_percentiles_are_ordered(small):
    bands = small.percentiles()
    cols = ["p5", "p25", "p50", "p75", "p95"]
    assert set(bands["arm"]) == {"one_g", "two_g"} and set(bands["quantity"]) == {"Mg_serum", "K_serum"}
    assert (np.diff(bands[cols].to_numpy(), axis=1) >= -1e-12).all()
    sub = small.percentiles(subgroup="impaired")
    assert len(sub) == len(bands)


def test_attainment_is_a_probability_consistent_with_each_patient(small):
    table = small.attainment()
    assert table["probability"].between(0, 1).all()
    assert (table["ci95_low"] <= table["probability"]).all() and (table["probability"] <= table["ci95_high"]).all()
    frame = small.to_frame()
    assert {"patient", "arm", "time_h", "quantity", "value", "subgroup", "weight_kg", "egfr"} <= set(frame.columns)
    ok = small.patients().query("status == 'ok'")["patient"]
    for arm in small.arms:
        mg = frame[(frame["arm"] == arm) & (frame["quantity"] == "Mg_serum")]
        at4 = mg[mg["time_h"] == 4.0].set_index("patient")["value"].loc[ok]
        expected = float(((at4 >= 1.8) & (at4 <= 3.0)).mean())
        row = table.query("target == 'Mg 1.8-3.0' and time_h == 4.0 and arm == @arm and subgroup == 'all'").iloc[0]
        assert row["n"] == len(ok) and row["probability"] == pytest.approx(expected)
        # "by" a time: above at any output time up to it (7 mg/dL = 2.88 mmol/L); by 12 h includes by 6 h
        peak = mg[mg["time_h"] <= 6.0].groupby("patient")["value"].max().loc[ok]
        row = table.query("quantity == 'Mg_serum' and kind == 'toxicity' and time_h == 6.0 and arm == @arm")
        assert row.query("subgroup == 'all'")["probability"].iloc[0] == pytest.approx(
            float((peak > 2.88).mean()), abs=0.07
        )
        mg_tox = table[(table["kind"] == "toxicity") & (table["quantity"] == "Mg_serum") & (table["arm"] == arm)]
        by6 = mg_tox[mg_tox["time_h"] == 6.0]["met"].to_numpy()
        by12 = mg_tox[mg_tox["time_h"] == 12.0]["met"].to_numpy()
        assert (by12 >= by6).all()
    # the subgroup rows add up to the 'all' row
    for _, rows in table.groupby(["target", "time_h", "arm"]):
        assert rows.query("subgroup != 'all'")["met"].sum() == rows.query("subgroup == 'all'")["met"].iloc[0]


def test_physiology_lower_egfr_higher_mg_and_two_grams_above_one(small):
    info = small.patients()
    mg12 = {arm: small.series(arm, "Mg_serum")[:, -1] for arm in small.arms}
    impaired = (info["subgroup"] == "impaired").to_numpy()
    for arm in small.arms:
        assert np.median(mg12[arm][impaired]) > np.median(mg12[arm][~impaired]) + 0.3
    assert (mg12["two_g"] > mg12["one_g"]).all()  # the same patients: 2 g/h above 1 g/h in every one
    tox = small.attainment().query("kind == 'toxicity' and quantity == 'Mg_serum' and time_h == 12.0")
    share = tox.set_index(["arm", "subgroup"])["probability"]
    assert share["two_g", "impaired"] > share["two_g", "normal"]


def test_builtin_mgso4_population_is_clinically_ordered():
    pop = lytes.population("mgso4_population", n=24, seed=1, workers=2, every="1 h", progress=False)
    assert pop.arms == ("zuspan", "pritchard", "sibai")
    assert pop.n_ok >= 22  # a rare parameter draw the solver cannot follow is counted, not raised
    info = pop.patients()
    ok = (info["status"] == "ok").to_numpy()
    egfr = info["egfr"].to_numpy()
    at20 = list(pop.time_h).index(20.0)
    zuspan, sibai = (pop.series(arm, "Mg_serum")[:, at20] for arm in ("zuspan", "sibai"))
    assert np.median(sibai[ok]) > np.median(zuspan[ok]) + 0.4  # 2 g/h vs 1 g/h
    low, normal = ok & (egfr < 60), ok & (egfr >= 90)
    assert low.sum() >= 3 and normal.sum() >= 3
    assert np.median(zuspan[low]) > np.median(zuspan[normal])
    # Zuspan 1 g/h with normal kidneys: ~1.3-2.2 mmol/L (Okusanya 2016: well below 2 mmol/L)
    assert 1.2 < np.median(zuspan[normal]) < 2.2
    peak = pop.series("sibai", "Mg_serum")[:, : at20 + 5].max(axis=1)
    assert np.mean(peak[low] > 3.5) > np.mean(peak[normal] > 3.5)


def test_builtin_ckd_k_repletion_population_runs_and_orders_the_doses():
    pop = lytes.population("ckd_k_repletion_population", n=8, seed=2, workers=1, every="6 h", progress=False)
    assert pop.n_ok >= 7
    info = pop.patients()
    assert info["lab_K"].between(2.8, 3.4).all() and info["egfr"].between(15, 60).all()
    k_end = {arm: np.nanmedian(pop.series(arm, "K_serum")[:, -1]) for arm in pop.arms}
    assert k_end["KCl_20_bid"] < k_end["KCl_40_bid"] < k_end["KCl_40_tid"]
    start = pop.series("KCl_20_bid", "K_serum")[:, 0]
    assert np.allclose(start[pop.ok], info["lab_K"][pop.ok], atol=0.02)  # each patient starts at their lab


def test_exports_xarray_csv_json_and_plot(small, tmp_path):
    ds = small.to_xarray()
    assert ds["value"].dims == ("patient", "arm", "time_h", "quantity")
    assert ds["value"].shape == (16, 2, len(small.time_h), 2)
    assert np.array_equal(
        ds["value"].sel(arm="two_g", quantity="Mg_serum").values, small.series("two_g", "Mg_serum"), equal_nan=True
    )
    assert "egfr" in ds and "subgroup" in ds and ds["attained"].dims == ("patient", "arm", "target")
    small.to_csv(tmp_path / "pop.csv")
    lines = (tmp_path / "pop.csv").read_text().splitlines()
    assert lines[0].startswith("#") and lines[2].startswith("patient,arm,time_h,quantity,value")
    assert len(lines) == 3 + 16 * 2 * len(small.time_h) * 2
    data = json.loads(json.dumps(small.to_dict()))
    assert data["attainment"] and data["n"] == 16 and data["seed"] == 7
    assert set(data["percentiles"]["one_g"]["Mg_serum"]) == {"p5", "p25", "p50", "p75", "p95"}
    small.plot(tmp_path / "bands.png")
    assert (tmp_path / "bands.png").stat().st_size > 10_000


def test_large_populations_stream_to_disk_with_the_same_numbers(small):
    on_disk = lytes.population(SPEC, n=16, seed=7, workers=1, progress=False, max_memory=0)
    assert on_disk.scratch is not None and os.path.isdir(on_disk.scratch)
    assert np.array_equal(np.asarray(on_disk.values), small.values, equal_nan=True)
    scratch = on_disk.scratch
    del on_disk
    import gc

    gc.collect()
    assert not os.path.exists(scratch)


def test_a_patient_that_fails_is_counted_not_raised(monkeypatch):
    import lytes.simulation as simulation

    original = simulation.simulate

    def flaky(scenario, **options):
        if float(scenario.patient.weight.split()[0]) > 80:
            raise RuntimeError("the solver could not follow this patient")
        return original(scenario, **options)

    monkeypatch.setattr(simulation, "simulate", flaky)
    pop = lytes.population(SPEC, n=10, seed=7, workers=1, progress=False)
    heavy = pop.patients()["weight_kg"] > 80
    assert heavy.any() and not heavy.all()
    assert (pop.failures()["patient"] == np.flatnonzero(heavy)).all()
    assert (pop.failures()["kind"] == "integration error").all()
    assert pop.n_ok == (~heavy).sum() and pop.to_dict()["failed"]["count"] == heavy.sum()
    assert (pop.attainment().query("subgroup == 'all'")["n"] == pop.n_ok).all()
    assert np.isnan(pop.series("one_g", "Mg_serum")[heavy.to_numpy()]).all()

    def broken(scenario, **options):
        raise InputError("patient.weight", "x", "a weight")

    monkeypatch.setattr(simulation, "simulate", broken)
    with pytest.raises(InputError, match="all 3 patients"):
        lytes.population(SPEC, n=3, seed=7, workers=1, progress=False)


def _with(path: str, value):
    spec = json.loads(json.dumps(SPEC))
    *parents, last = path.split(".")
    node = spec
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is None:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return spec


@pytest.mark.parametrize(
    "path, value, field",
    [
        ("covariates.bmi", "30 kg/m2", "covariates.bmi"),
        ("covariates.height", "17 m", "covariates.height"),
        ("covariates.weight", {"dist": "normal", "mean": "70 kg"}, "covariates.weight.sd"),
        ("covariates.weight", {"dist": "gamma", "mean": "70 kg"}, "covariates.weight.dist"),
        ("covariates.weight", {"dist": "normal", "mean": "70 mmol/L", "sd": "5 kg"}, "covariates.weight.mean"),
        ("covariates.sex", {"dist": "categorical", "p": {"female": "60 %", "male": "30 %"}}, "covariates.sex.p"),
        ("subgroups.normal.share", "70 %", "subgroups"),
        ("parameters.cv", {"Na_o_reff": "2 %"}, "parameters.cv.Na_o_reff"),
        ("parameters.by_evidence", {"X": "5 %"}, "parameters.by_evidence.X"),
        ("targets.0.quantity", "Mg_plasma", "targets[0].quantity"),
        ("targets.0.at", ["4 h", "30 h"], "targets[0].at[1]"),
        ("targets.1.above", "5.5 kg", "targets[1].above"),
        ("quantities", ["K_serum", "Mg"], "quantities[1]"),
        ("scenario.arms.one_g.interventions.0.dose", "4 kg", "scenario.arms.one_g.interventions[0].dose"),
        ("scenario", "no_such_scenario", "scenario"),
        ("covariates.weight", {"dist": "normal", "mean": "70 kg", "sd": "5 kg", "mode": "x"}, "covariates.weight.mode"),
    ],
)
def test_a_bad_spec_is_one_line_naming_the_field(path, value, field):
    with pytest.raises(InputError) as caught:
        load(_with(path, value))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{field}:"), message


def test_unknown_keys_and_limits_are_refused_in_one_line():
    with pytest.raises(InputError, match=r"^color: .*one of the keys"):
        load({**SPEC, "color": "blue"})
    with pytest.raises(InputError, match=r"^n: 100001 .*100,000"):
        lytes.population(SPEC, n=100_001)
    with pytest.raises(InputError, match=r"^population: 'no_such_population'"):
        lytes.population("no_such_population", n=2)


def lytes_cli(*args):
    return subprocess.run([sys.executable, "-m", "lytes", *args], capture_output=True, text=True)


def test_cli_json_has_attainment_and_bad_input_is_one_line(tmp_path):
    import yaml

    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    proc = lytes_cli("population", str(spec), "--n", "4", "--seed", "3", "--workers", "1", "--json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["attainment"] and {"target", "arm", "subgroup", "probability", "ci95_low"} <= set(data["attainment"][0])
    assert data["n"] == 4 and data["failed"]["count"] == 0 and data["percentiles"]["two_g"]["Mg_serum"]["p50"]
    proc = lytes_cli("population", str(spec), "--n", "0")
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "--n" in proc.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_with("covariates.weight", {"dist": "normal", "mean": "70 kg"})))
    proc = lytes_cli("population", str(bad), "--n", "2")
    assert proc.returncode == 2 and proc.stderr.startswith("error: covariates.weight.sd")
    assert proc.stderr.strip().count("\n") == 0


def test_dask_local_cluster_gives_the_same_numbers(small):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        pop = lytes.population(SPEC, n=16, seed=7, scheduler=client, progress=False)
    assert np.array_equal(pop.values, small.values, equal_nan=True)


def test_a_script_read_from_stdin_runs_on_one_core_instead_of_failing():
    script = (
        "import lytes\n"
        "if __name__ == '__main__':\n"
        "    r = lytes.population('mgso4_population', n=4, seed=1, workers=2)\n"
        "    print('ok', r.n_ok)\n"
    )
    proc = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok 4" and "Traceback" not in proc.stderr

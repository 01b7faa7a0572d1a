"""The `lytes` command: run (summary, JSON, CSV, plot), scenarios, params, --version."""

import json
import subprocess
import sys

import lytes


def lytes_cli(*args):
    return subprocess.run([sys.executable, "-m", "lytes", *args], capture_output=True, text=True)


def test_run_json_has_the_documented_shape():
    proc = lytes_cli("run", "healthy", "--json", "--every", "6h")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["name"] and data["units"]["K_serum"] == "mmol/L"
    main = data["arms"]["main"]
    assert main["time_h"][0] == 0 and main["time_h"][-1] == 7 * 24
    required = [
        "K_serum",
        "Mg_serum",
        "Mg_ionized",
        "Na_serum",
        "Ca_ionized",
        "Ca_total",
        "PTH",
        "K_cell",
        "Na_cell",
        "Mg_cell_free",
        "K_urine_rate",
        "Mg_urine_rate",
        "Na_urine_rate",
        "Ca_urine_rate",
        "FE_K",
        "FE_Mg",
        "pump_activity",
        "romk_activity",
        "membrane_potential",
        "body_K",
        "body_Mg",
        "K_urine",
        "Mg_urine",
    ]
    for name in required:
        assert len(main["series"][name]) == len(main["time_h"]), name
    assert "not a prescription" in data["notice"]


def test_run_summary_csv_and_plot(tmp_path):
    csv, png = tmp_path / "h.csv", tmp_path / "h.png"
    proc = lytes_cli("run", "healthy", "--csv", str(csv), "--plot", str(png))
    assert proc.returncode == 0, proc.stderr
    assert "K_serum" in proc.stdout and "not a" in proc.stdout and "mass balance" in proc.stdout
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("time_h,K_serum [mmol/L]")  # a plain CSV: the header row, then data
    meta = json.loads((tmp_path / "h.csv.json").read_text())  # its metadata beside it
    assert "not a prescription" in meta["notice"] and meta["units"]["K_serum"] == "mmol/L"
    assert png.stat().st_size > 10_000


def test_scenarios_lists_healthy_and_params_lists_sources():
    proc = lytes_cli("scenarios")
    assert proc.returncode == 0 and "healthy" in proc.stdout
    proc = lytes_cli("params", "--csv")
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0] == "name,value,unit,evidence,description,source"


def test_version():
    proc = lytes_cli("--version")
    assert proc.returncode == 0 and lytes.__version__ in proc.stdout


def test_python_api_result_exports(tmp_path):
    r = lytes.simulate("healthy", every=24)
    frame = r.to_frame()
    assert list(frame.columns[:2]) == ["time_h", "K_serum"] and len(frame) == 8
    r.to_csv(tmp_path / "x.csv")
    assert (tmp_path / "x.csv").exists()

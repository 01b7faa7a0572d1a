"""The validation suite (V01-V27, docs/validation-cases.md) runs in CI: every case must fall inside its published band."""

import json
import subprocess
import sys

import pytest

from lytes.validation import cases, run_case
from lytes.validation.sensitivity import sensitivities


@pytest.mark.parametrize("case_id", list(cases()))
def test_case_within_published_band(case_id):
    result = run_case(cases()[case_id])
    failed = [f"{c.check.name}: {c.simulated:.3g} not in {c.check.band}" for c in result.checks if not c.passed]
    assert result.passed, "; ".join(failed)


def test_every_observation_has_a_case_with_source_and_held_out_set_exists():
    ids = set(cases())
    assert ids == {f"V{n:02d}" for n in range(1, 30)}
    assert all(len(c.source) > 20 and c.checks for c in cases().values())
    assert sum(not c.fitted for c in cases().values()) >= 5  # a held-out set no parameter was fitted to


def test_validate_cli_json_and_report(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lytes",
            "validate",
            "--case",
            "V09",
            "--case",
            "V18",
            "--json",
            "--report",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [c["id"] for c in data["cases"]] == ["V09", "V18"] and all(c["passed"] for c in data["cases"])
    report = (tmp_path / "report.md").read_text()
    assert "Held-out cases" in report and "V18" in report
    assert (tmp_path / "figures" / "V18.png").stat().st_size > 5000


def test_validate_cli_unknown_case_exits_2():
    proc = subprocess.run([sys.executable, "-m", "lytes", "validate", "--case", "V99"], capture_output=True, text=True)
    assert proc.returncode == 2 and "V01" in proc.stderr


def test_sensitivity_ranks_the_parameters_a_result_rests_on():
    # the insulin fall (V18) rests on the insulin gain and potency, not on bone Ca parameters
    result = sensitivities([cases()["V18"]], ["insulin_pump_gain", "insulin_EC50", "Ca_bone_per_kg"])["V18"]
    ranked = [name for name, _ in result]
    assert ranked.index("Ca_bone_per_kg") == 2
    assert abs(dict(result)["Ca_bone_per_kg"]) < 0.01

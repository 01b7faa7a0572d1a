"""Exchange (issue 11): every built-in, exported as SBML and run by libroadrunner, reproduces lytes' own run; the
roadrunner engine agrees with the default engine; the Antimony text is the same model."""

import functools
import subprocess
import sys

import numpy as np
import pytest

from lytes.scenario.catalog import names

REL = 1e-4  # relative agreement of every result series at every output time
FLOOR = 1e-3  # ... relative to the larger of |value| and this share of the series' largest |value| (near-zero series)
ABSOLUTE = 1e-9  # ... and at least this, in the series' own unit (a series that stays at 0: no dialysis)


def _libs():
    pytest.importorskip("libsbml")
    return pytest.importorskip("roadrunner")


def busiest_arm(name):
    """The arm with the most input changes and doses (None without arms): its events are what the export adds."""
    from lytes.scenario import load
    from lytes.scenario.regimen import compile_regimen

    sc = load(name)
    if not sc.arms:
        return None
    regimens = {arm: compile_regimen(sc, arm) for arm in sc.arms}
    return max(sc.arms, key=lambda arm: len(regimens[arm].changes) + len(regimens[arm].jumps))


@functools.cache
def exported(name, arm=None):
    """One export per built-in and arm, shared by the tests: the model data and lytes' own result."""
    from lytes.export import prepare

    return prepare(name, arm)


def run_sbml(text: str, series_ids: list[str], times: np.ndarray, doses=()) -> np.ndarray:
    """Load SBML text in libroadrunner and simulate at ``times`` (tolerances far below lytes', so the comparison
    measures lytes' own solver error, ~1e-5, and any difference in the model).

    At the instant of a dose (``doses``: times) lytes reports the state just before it, an SBML tool the state
    just after: there roadrunner is read 1e-7 h before. At t = 0 roadrunner applies the t = 0 events when it
    initialises (a run started earlier would give them twice), so a dose at t = 0 has no row before it: that row
    is NaN and not compared (the state before it is the SBML's initial values, lytes' own by construction)."""
    roadrunner = _libs()
    at_dose = np.isin(np.round(times, 9), np.round(np.asarray(list(doses), dtype=float), 9))
    times = np.where(at_dose & (times > 0), times - 1e-7, times)
    options = roadrunner.LoadSBMLOptions()  # one run per load: no mutable initial conditions (halves the load)
    options.modelGeneratorOpt &= ~roadrunner.LoadSBMLOptions.MUTABLE_INITIAL_CONDITIONS
    r = roadrunner.RoadRunner(text, options)
    r.integrator.relative_tolerance = 1e-9
    r.integrator.absolute_tolerance = 1e-9
    r.integrator.maximum_num_steps = 500000
    r.timeCourseSelections = series_ids
    values = np.asarray(r.simulate(times=times.tolist())).T
    values[:, at_dose & (times == 0)] = np.nan
    return values


def worst(ours: dict, theirs: dict, times: np.ndarray) -> tuple[float, str]:
    """The largest relative difference over all series and times, and where it is."""
    found = (0.0, "")
    for name, a in ours.items():
        b = theirs[name]
        scale = np.maximum(np.abs(a), FLOOR * np.abs(a).max() + ABSOLUTE)
        rel = np.where(np.isnan(b), 0.0, np.abs(a - b) / scale)  # NaN: a row not compared (a dose at t = 0)
        assert np.isnan(b).sum() <= 1, f"{name}: no values from roadrunner"
        i = int(np.argmax(rel))
        if rel[i] > found[0]:
            found = (float(rel[i]), f"{name} at t = {times[i]:g} h: lytes {a[i]:.8g}, roadrunner {b[i]:.8g}")
    return found


@pytest.mark.parametrize("name", names())
def test_sbml_export_reproduces_the_run_in_libroadrunner(name):
    _libs()
    e = exported(name, busiest_arm(name))
    series = list(e.result.series)
    assert not set(series) - set(e.model.outputs), "result series the export does not carry (lytes/export/model.py)"
    values = run_sbml(e.sbml(), [e.model.outputs[s] for s in series], e.time_h, dose_times(e))
    error, where = worst(tight_series(e), dict(zip(series, values)), e.time_h)
    assert error <= REL, f"{name}: {error:.2e} ({where})"


def tight_series(e) -> dict:
    """lytes' own engine on the recorded run (same state, parameters, segments, grid) at tolerances as tight as
    roadrunner's, so the comparison measures the export, not the two solvers' default errors (lytes' default
    tolerance alone moves a fast series such as PTH by ~1e-4)."""
    from lytes.engine.scipy_engine import integrate
    from lytes.result import build_result

    c, p, y0, segments, grid = e.run
    Y, U = integrate(c, p, y0, segments, grid, rtol=1e-9, atol_scale=1e-9)
    return build_result("tight", c, p, grid, Y, U).series


def dose_times(e) -> list[float]:
    return [seg.t0 for seg in e.segments if seg.jumps]


def test_doses_at_output_times_and_at_t0():
    """IM doses (which land in a body pool, so body_Mg jumps) at t = 0 and on the output grid, an oral dose and an
    infusion starting with one of them: lytes and roadrunner agree, each side of the dose."""
    _libs()
    from lytes.export import prepare

    scenario = {
        "name": "doses on the grid",
        "duration": "12 h",
        "interventions": [
            {"at": "0 h", "give": "MgSO4", "route": "im", "dose": "5 g"},
            {"at": "0 h", "give": "KCl", "route": "oral", "dose": "40 mmol"},
            {"at": "2 h", "give": "MgSO4", "route": "im", "dose": "5 g"},
            {"at": "2 h", "give": "KCl", "route": "iv", "rate": "10 mmol/h", "for": "4 h"},
        ],
    }
    e = prepare(scenario)
    series = list(e.result.series)
    values = run_sbml(e.sbml(), [e.model.outputs[s] for s in series], e.time_h, dose_times(e))
    error, where = worst(e.result.series, dict(zip(series, values)), e.time_h)
    assert error <= REL, where
    jump = e.result.series["body_Mg"][9] - e.result.series["body_Mg"][8]  # 2 h -> 2.25 h: the dose is counted
    assert jump > 15


def test_sbml_carries_units_sources_and_events():
    libsbml = pytest.importorskip("libsbml")
    from lytes.model.parameters import table

    e = exported("mgso4_renal_impairment")
    doc = libsbml.readSBMLFromString(e.sbml())
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    model = doc.getModel()
    assert (model.getLevel(), model.getVersion()) == (3, 2)
    assert model.getTimeUnits() == "h" and model.getSubstanceUnits() == "mmol"
    row = table()["tbw_fraction_male"]
    par = model.getParameter(row.name)
    assert par.getConstant() and row.source in par.getNotesString()
    assert "urn:lytes:annotation:1" in par.getAnnotationString() and 'evidence="E"' in par.getAnnotationString()
    hourly = model.getUnitDefinition(model.getParameter("iv_Mg").getUnits())
    assert [libsbml.UnitKind_toString(u.getKind()) for u in hourly.getListOfUnits()] == ["mole", "second"]
    ecf = model.getSpecies("K_ecf")
    assert ecf.getHasOnlySubstanceUnits() and ecf.getCompartment() == "ecf"
    assert model.getRateRule("PTH") is not None and model.getAssignmentRule("K_serum") is not None
    urinary = model.getReaction("K_urinary")
    assert urinary.getReactant(0).getSpecies() == "K_ecf" and urinary.getProduct(0).getSpecies() == "K_urine"
    times = sorted({seg.t0 for seg in e.segments[1:]} | {seg.t0 for seg in e.segments if seg.jumps})
    triggers = [
        libsbml.formulaToL3String(model.getEvent(k).getTrigger().getMath()) for k in range(model.getNumEvents())
    ]
    assert all(text.startswith("time >= ") for text in triggers)
    assert [float(text.split(">=")[1]) for text in triggers] == pytest.approx(times)


def test_antimony_text_is_the_same_model():
    _libs()
    antimony = pytest.importorskip("antimony")
    e = exported("mgso4_renal_impairment")
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(e.antimony()) >= 0, antimony.getLastError()
    sbml = antimony.getSBMLString(e.model.id)
    series = list(e.result.series)
    values = run_sbml(sbml, [e.model.outputs[s] for s in series], e.time_h, dose_times(e))
    error, where = worst(e.result.series, dict(zip(series, values)), e.time_h)
    assert error <= REL, where


def test_arm_choice_and_bad_arm():
    from lytes.errors import InputError
    from lytes.export import prepare

    with pytest.raises(InputError, match=r"arm: 'nope' is not allowed; expected one of the scenario's arms"):
        prepare("refractory_hypokalemia", arm="nope")
    with pytest.raises(InputError, match="has no arms"):
        prepare("healthy", arm="K_alone")


@pytest.mark.parametrize("name", ["mgso4_renal_impairment", "heart_failure_diuretic", "k_binders_ckd_diet"])
def test_roadrunner_engine_agrees_with_the_default_engine(name):
    _libs()
    import lytes

    ours, theirs = lytes.simulate(name), lytes.simulate(name, engine="roadrunner")
    arms = ours.arms if hasattr(ours, "arms") else {"main": ours}
    other = theirs.arms if hasattr(theirs, "arms") else {"main": theirs}
    for arm, result in arms.items():
        assert set(result.series) == set(other[arm].series)
        error, where = worst(result.series, other[arm].series, result.time_h)
        assert error <= REL, f"{name} [{arm}]: {error:.2e} ({where})"


def test_cli_export_writes_sbml_and_antimony(tmp_path):
    _libs()
    from typer.testing import CliRunner

    from lytes.cli import app

    out = tmp_path / "m.xml"
    res = CliRunner().invoke(app, ["export", "sbml", "healthy", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text().startswith("<?xml") and "<sbml" in out.read_text()[:400]
    ant = tmp_path / "m.ant"
    res = CliRunner().invoke(app, ["export", "antimony", "refractory_hypokalemia", "--arm", "Mg_alone", "-o", str(ant)])
    assert res.exit_code == 0, res.output
    assert "model *lytes_" in ant.read_text() and "[arm Mg_alone]" in ant.read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (["export", "cellml", "healthy", "-o", "x.xml"], "format: 'cellml' is not allowed; expected sbml or antimony"),
        (["export", "sbml", "healthy", "--arm", "x", "-o", "x.xml"], "--arm: 'x' is not allowed"),
        (["export", "sbml", "nosuch", "-o", "x.xml"], "scenario: 'nosuch' is not allowed"),
        (["run", "healthy", "--engine", "jax"], "--engine: 'jax' is not allowed; expected scipy or roadrunner"),
    ],
)
def test_cli_bad_input_is_one_line(args, message, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from lytes.cli import app

    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], res.output


def test_help_does_not_import_sbml_libraries():
    code = (
        "import sys\n"
        "from lytes.cli import app\n"
        "import lytes.export, lytes.simulation\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('loaded:', sorted(m for m in sys.modules if m.split('.')[0] in ('libsbml', 'roadrunner', 'antimony')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("loaded: []"), out.stdout[-300:]

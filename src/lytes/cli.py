"""The ``lytes`` command. Bad input gives one line naming the field, the value and what is allowed, and exit 2."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from . import __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="lytes: a virtual patient for magnesium-potassium-sodium-calcium balance "
    "(education, research and decision support; not a prescription).",
)

from .summary import SUMMARY, range_row, when  # noqa: E402


def _console():
    """A wide console when output is piped or captured (CI, files), the terminal's own width otherwise."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 200)


def _fail(message: str) -> None:
    typer.echo(f"error: {_short_words(message)}", err=True)
    raise typer.Exit(2)


def _short_words(message: str) -> str:
    """Any one word of a message (a value echoed back) cut to about 80 characters: one readable line."""
    import re

    from .errors import shorten

    return re.sub(r"\S{100,}", lambda m: shorten(m.group()), " ".join(str(message).split()))


def _version(value: bool):
    if value:
        typer.echo(f"lytes {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
):
    pass


def _check_output(path: Path | None, field: str, suffixes: tuple[str, ...]) -> None:
    """Refuse an output file before any work: a wrong suffix, a folder, a missing or unwritable folder."""
    from .errors import InputError

    if path is None:
        return
    if path.suffix.lower() not in suffixes:
        raise InputError(field, str(path), f"a file name ending in {' or '.join(suffixes)}")
    try:
        _check_output_path(path, field, suffixes)
    except InputError:
        raise
    except (OSError, ValueError) as exc:  # e.g. a name too long for the file system
        why = getattr(exc, "strerror", None) or str(exc)
        raise InputError(field, str(path), f"a file path this system can write ({why})") from None


def _check_output_path(path: Path, field: str, suffixes: tuple[str, ...]) -> None:
    from .errors import InputError

    if path.is_dir():
        raise InputError(field, str(path), f"a file name ending in {' or '.join(suffixes)}, not a folder")
    if not path.parent.is_dir():
        raise InputError(field, str(path), "a path in an existing folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(field, str(path), "a file you can write to (this one is read-only)")
    _probe(path.parent, field, str(path))


def _probe(folder: Path, field: str, shown: str) -> None:
    """Create and remove a scratch file in ``folder``: the one sure test that the output can be written there."""
    import tempfile

    from .errors import InputError

    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".lytes-", suffix=".tmp")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise InputError(field, shown, f"a path in a folder you can write to ({exc.strerror})") from None


def _write_atomically(outputs: list[tuple[Path, str, object]]) -> None:
    """Write each (path, field, writer) to a scratch file in the same folder, then move them all into place.

    A failure leaves nothing behind: no partial file, and no output of the batch written without the others.
    """
    import tempfile

    from .errors import InputError

    done: list[tuple[str, Path]] = []
    try:
        for path, field, writer in outputs:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
            os.close(fd)
            done.append((tmp, path))
            try:
                writer(Path(tmp))
            except OSError as exc:
                raise InputError(field, str(path), f"a path that can be written ({exc.strerror})") from None
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)  # as a plain open() would have made it, not mkstemp's 0600
    except InputError as exc:
        for tmp, _ in done:
            Path(tmp).unlink(missing_ok=True)
        _fail(str(exc))
    except BaseException:
        for tmp, _ in done:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, path in done:
        os.replace(tmp, path)


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="A scenario YAML file or a built-in name (see `lytes scenarios`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Write the result table to this CSV file (its metadata to FILE.csv.json)."),
    ] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a plot to this PNG/PDF/SVG file.")] = None,
    every: Annotated[str | None, typer.Option("--every", help="Output interval, e.g. '15min' or '1 h'.")] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help='Integrator: scipy (default) or roadrunner (libroadrunner on the SBML export; pip install "lytes\\[sbml]").',
        ),
    ] = "scipy",
):
    """Run a scenario and print a summary (start, nadir/peak, end)."""
    from .errors import InputError
    from .result import NOTICE, scenario_data, sidecar_path
    from .scenario import load
    from .simulation import simulate
    from .units import parse

    try:
        _check_output(csv, "--csv", (".csv",))
        if csv is not None:
            _check_output_path(sidecar_path(csv), "--csv", (".csv",))  # the metadata beside it
        _check_output(plot, "--plot", (".png", ".pdf", ".svg"))
        step = parse(every, "--every", "h", "an interval such as '15min' or '1 h'") if every else None
        run_with = _engine_option(engine)
        loaded = load(scenario)
        with _progress() as bar:  # a long run (thousands of dose events) shows its progress on a terminal
            result = simulate(loaded, every=step, engine=run_with, progress=_long_run_bar(bar))
        result.scenario = scenario_data(loaded)  # the scenario as run, in the JSON and the CSV's metadata
    except InputError as exc:
        _fail(str(exc))
    except RuntimeError as exc:  # the solver could not follow the scenario: say so, never print a wrong result
        _fail(f"simulation failed: {exc}")
    from .reading import findings_by_arm, plot_marks

    findings = findings_by_arm(result)  # {arm: worst severity of each finding code}; a single run is "main"
    outputs = []
    if csv is not None:  # a plain CSV, and its metadata (notice, units, version, model, scenario) beside it
        outputs.append((csv, "--csv", lambda tmp: result.to_csv(tmp, sidecar=False)))
        outputs.append((sidecar_path(csv), "--csv", lambda tmp: result.write_sidecar(tmp, csv.name)))
    if plot is not None:
        if hasattr(result, "arms"):
            marks = {arm: plot_marks(found) for arm, found in findings.items()}
        else:
            marks = plot_marks(findings["main"])
        outputs.append((plot, "--plot", lambda tmp: result.plot(tmp, marks=marks)))
    _write_atomically(outputs)
    if as_json:
        from .result import provenance

        data = result.to_dict() | provenance()
        for arm, found in findings.items():
            data["arms"][arm]["findings"] = [f.to_dict() for f in found]
        if not hasattr(result, "arms"):
            data["findings"] = data["arms"]["main"]["findings"]
        typer.echo(json.dumps(data))
        return
    if hasattr(result, "arms"):
        _print_comparison(result, NOTICE, findings)
    else:
        _print_summary(result, NOTICE, findings["main"])
    for path in (csv, sidecar_path(csv) if csv is not None else None, plot):
        if path is not None:
            typer.echo(f"wrote {path}")


def _engine_option(engine: str):
    """The integrator ``--engine`` names; refused in one line (or how to install roadrunner) before any work."""
    from .errors import InputError
    from .simulation import _engine

    try:
        return _engine(engine)
    except InputError as exc:
        raise InputError("--engine", exc.value, exc.allowed, exc.reason) from None


@app.command()
def export(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="sbml or antimony.")],
    scenario: Annotated[str, typer.Argument(help="A scenario YAML file or a built-in name (see `lytes scenarios`).")],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="File to write (.xml or .sbml; .ant or .txt for Antimony); default: print."
        ),
    ] = None,
    arm: Annotated[
        str | None,
        typer.Option("--arm", help="For a scenario with arms, the one arm to export (default: the first)."),
    ] = None,
):
    """Write one run of a scenario as SBML (L3V2) or Antimony, for libroadrunner, tellurium, COPASI: the model,
    the run's initial state, the parameters (value, unit, source) and its doses and inputs as events. A scenario
    with arms exports one arm (--arm; default the first). SBML needs pip install "lytes\\[sbml]"."""
    from .errors import InputError
    from .export import FORMATS, SUFFIXES, prepare, require

    try:
        if fmt not in FORMATS:
            raise InputError("format", fmt, " or ".join(FORMATS))
        _check_output(output, "--output", SUFFIXES[fmt])
        require(fmt)
        exported = prepare(scenario, arm)
        text = exported.text(fmt)
    except InputError as exc:
        if exc.field == "arm":
            exc = InputError("--arm", exc.value, exc.allowed, exc.reason)
        _fail(str(exc))
    except RuntimeError as exc:
        _fail(f"simulation failed: {exc}")
    if output is None:
        typer.echo(text, nl=False)
        return
    _write_atomically([(output, "--output", lambda tmp: tmp.write_text(text, encoding="utf-8"))])
    md = exported.model
    which = f", arm {exported.arm}" if exported.arm else ""
    typer.echo(
        f"wrote {output} ({fmt}{which}: {len(md.species)} species, {len(md.reactions)} reactions, "
        f"{len(md.rate_rules)} rate rules, {len(md.events)} events, {len(exported.time_h) - 1} x "
        f"{exported.time_h[1] - exported.time_h[0]:g} h)"
    )


def _is_file(text: str) -> bool:
    """Whether a path names a file, without raising on names the file system refuses (too long, NUL)."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def _long_run_bar(bar):
    """A progress callback that shows a bar only for a run long enough to need one."""
    from .simulation import LONG_RUN_SEGMENTS

    shown = {}

    def progress(done: int, total: int) -> None:
        if total >= LONG_RUN_SEGMENTS:
            if "bar" not in shown:
                shown["bar"] = bar("simulating", "segments between dose and infusion events")
            shown["bar"](done, total)

    return progress


def _rows(results) -> list[tuple[str, str]]:
    """The summary rows: the standard ones, and a drug's own series where every result has them (digoxin)."""
    import numpy as np

    extra = [("digoxin_serum", "{:.2f}"), ("digoxin_pump_occupancy", "{:.3f}")]
    rows = SUMMARY + [(k, f) for k, f in extra if all(k in r.series for r in results)]
    if any("K_dialysis" in r.series and np.abs(r.series["K_dialysis"]).max() > 0.5 for r in results):
        rows += [("K_dialysis", "{:.0f}")]  # cumulative K removed by dialysis
    return rows


SEVERITY_STYLE = {"urgent": "bold red", "warn": "yellow", "info": "cyan"}


def _lasting(f, duration_h: float) -> str:
    """How long a run finding lasts: to the end (at which severity), or until when."""
    return f"still {f.at_end} at the end" if f.at_end else f"until {when(f.last_h, duration_h)}"


def _provenance_line() -> str:
    from .result import provenance

    p = provenance()
    return f"lytes {p['lytes_version']}, model {p['model']} (the same version and model give the same numbers)"


def _print_summary(result, notice: str, findings=None) -> None:
    from rich.table import Table

    t = result.time_h
    table = Table(title=result.name, caption=notice)
    for col in ("quantity", "unit", "start", "lowest (at)", "highest (at)", "end"):
        table.add_column(col, justify="left" if col in ("quantity", "unit") else "right")

    for name, fmt in _rows([result]):
        table.add_row(*range_row(result, name, fmt))
    console = _console()
    console.print(table)
    worst = max(b.relative_error for b in result.balance.values())
    parts = ", ".join(
        f"{ion}: in {b.intake:.1f}, urine {b.urine:.1f}, stool {b.faeces:.1f}"
        + (f", dialysis {b.other:.1f}" if abs(b.other) > 0.05 else "")
        + f", stores {b.stores_change:+.1f}"
        for ion, b in result.balance.items()
    )
    console.print(f"mass balance (mmol) {parts}; worst relative error {worst:.1e}")
    console.print(_provenance_line())
    from rich.markup import escape

    if findings is None:
        from .reading import worst_findings

        findings = worst_findings(result)
    if findings:
        console.print("findings over the run (the worst severity of each, first reached at t):")
    for f in findings:
        console.print(
            f"  [{SEVERITY_STYLE[f.severity]}]{f.severity:<6}[/] {f.code} at t = {when(f.time_h, t[-1])}: "
            + escape(f.summary)
            + f" ({_lasting(f, t[-1])})"
        )
    for note in result.notes:
        console.print(f"note: {note}")


def _print_comparison(comparison, notice: str, findings=None) -> None:
    import numpy as np
    from rich.table import Table

    table = Table(title=f"{comparison.name}: arms side by side (simulations, not orders)", caption=notice)
    table.add_column("quantity")
    table.add_column("unit")
    table.add_column("start", justify="right")
    for arm in comparison.arms:
        table.add_column(f"{arm}\nend (lowest-highest)", justify="right")
    for name, fmt in _rows(list(comparison.arms.values())):
        first = next(iter(comparison.arms.values())).series[name]
        cells = []
        for r in comparison.arms.values():
            y = r.series[name]
            cells.append(f"{fmt.format(y[-1])} ({fmt.format(np.min(y))}-{fmt.format(np.max(y))})")
        table.add_row(name, comparison.units[name], fmt.format(first[0]), *cells)
    console = _console()
    console.print(table)
    for arm, text in comparison.descriptions.items():
        if text:
            console.print(f"[bold]{arm}[/bold]: {text}")
    worst = max(b.relative_error for r in comparison.arms.values() for b in r.balance.values())
    console.print(f"mass balance closes in every arm (worst relative error {worst:.1e})")
    console.print(_provenance_line())
    if findings is None:
        from .reading import findings_by_arm

        findings = findings_by_arm(comparison)
    _print_findings_by_arm(findings, comparison.time_h[-1], console)


def _print_findings_by_arm(findings, duration_h: float, console) -> None:
    """Finding codes x arms: the worst severity each arm reaches, and when it first reaches it."""
    from rich.table import Table

    from .reading.over_run import SEVERITY

    rank = {}
    for found in findings.values():
        for f in found:
            rank[f.code] = max(rank.get(f.code, -1), SEVERITY.index(f.severity))
    if not rank:
        console.print("no findings in any arm")
        return
    table = Table(title="findings by arm: the worst severity @ the time it is first reached, and how long it lasts")
    table.add_column("finding")
    for arm in findings:
        table.add_column(arm, justify="right")
    by_code = {arm: {f.code: f for f in found} for arm, found in findings.items()}
    for code in sorted(rank, key=lambda c: (-rank[c], c)):
        cells = []
        for arm in findings:
            f = by_code[arm].get(code)
            cells.append(
                "-"
                if f is None
                else f"[{SEVERITY_STYLE[f.severity]}]{f.severity}[/] @ {when(f.time_h, duration_h)}, "
                + _lasting(f, duration_h)
            )
        table.add_row(code, *cells)
    console.print(table)


@app.command()
def assess(
    lab: Annotated[
        list[str] | None, typer.Option("--lab", help="A lab as NAME=VALUE UNIT, e.g. 'K=2.9 mmol/L'.")
    ] = None,
    age: Annotated[
        float | None, typer.Option("--age", help="Age in years (eGFR; if not given, 60 is assumed and said).")
    ] = None,
    sex: Annotated[
        str | None, typer.Option("--sex", help="male or female (eGFR; if not given, male is assumed and said).")
    ] = None,
    weight: Annotated[
        str | None, typer.Option("--weight", help="Body weight, e.g. 80kg (urine output per kg; default 70 kg).")
    ] = None,
    height: Annotated[
        str | None,
        typer.Option("--height", help="Height, e.g. 165cm (the simulated options' body size; default: mean adult)."),
    ] = None,
    med: Annotated[list[str] | None, typer.Option("--med", help="A drug or product taken (repeatable).")] = None,
    condition: Annotated[list[str] | None, typer.Option("--condition", help="A condition (repeatable).")] = None,
    urine: Annotated[
        list[str] | None, typer.Option("--urine", help="Urine Mg: 'Mg=2 mmol/day', or spot Mg and creatinine.")
    ] = None,
    reflexes: Annotated[
        str | None, typer.Option("--reflexes", help="Deep tendon reflexes: normal, depressed or absent.")
    ] = None,
    resp_rate: Annotated[str | None, typer.Option("--resp-rate", help="Respiratory rate, breaths/min.")] = None,
    ecg: Annotated[
        list[str] | None,
        typer.Option(
            "--ecg", help="An ECG finding (repeatable): peaked_t, wide_qrs, absent_p, sine_wave, u_waves, long_qt."
        ),
    ] = None,
    urine_output: Annotated[
        str | None, typer.Option("--urine-output", help="Urine output, e.g. '20 mL/h' or '400 mL/day'.")
    ] = None,
    dialysis: Annotated[
        str | None, typer.Option("--dialysis", help="Dialysis: none, haemodialysis or peritoneal.")
    ] = None,
    simulate_options: Annotated[bool, typer.Option("--simulate", help="Run the standard options for 72 h.")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="With --simulate: plot the options here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the assessment as JSON.")] = False,
    show_table: Annotated[
        bool, typer.Option("--table", help="Print the table of magnesium states and potassium.")
    ] = False,
):
    """Read a patient's labs: states, mechanisms, risks - and, with --simulate, what each option would do."""
    from .errors import InputError
    from .reading import assess as read
    from .reading import state_table
    from .reading.options import options_dict, plan
    from .result import NOTICE
    from .units import parse

    if show_table:
        _print_state_table(state_table(), NOTICE)
        if not lab:
            return
    try:
        labs = _pairs(lab or [], "--lab")
        if not labs:
            raise InputError("--lab", None, "at least one lab, e.g. --lab 'K=2.9 mmol/L'")
        weight_kg = 70.0 if weight is None else parse(weight, "--weight", "kg", "a body weight, e.g. 80kg")
        height_cm = None if height is None else parse(height, "--height", "cm", "a height, e.g. 165cm")
        if height_cm is not None:
            from .patient import Patient

            try:  # a height the weight allows
                Patient(weight_kg=weight_kg, height_cm=height_cm)
            except InputError as exc:
                raise InputError("--height", exc.value, exc.allowed, exc.reason) from None
        if sex is not None and sex not in ("male", "female"):
            raise InputError("--sex", sex, "male or female")
        meds = _check_meds(med or [])
        conditions = _check_conditions(condition or [], sex)
        if plot is not None and not simulate_options:
            raise InputError("--plot", str(plot), "--simulate with it (the plot is of the simulated options)")
        clinical = {"reflexes": reflexes, "resp_rate": resp_rate, "ecg": ecg, "urine_output": urine_output}
        clinical |= {"dialysis": dialysis, "weight": None if weight is None else weight_kg}
        result = read(
            labs, age=age, sex=sex, meds=meds, conditions=conditions, urine=_pairs(urine or [], "--urine"), **clinical
        )
        age, sex = 60 if age is None else age, sex or "male"  # for the simulated patient (the reading states it)
        options = None
        if simulate_options:
            _check_output(plot, "--plot", (".png", ".pdf", ".svg"))
            from .simulation import simulate

            chosen = plan(result, age, sex, weight_kg, meds, conditions, height_cm=height_cm)
            options = simulate(chosen.scenario, every=0.25 if min(chosen.times_h) < 1 else 1.0)
    except InputError as exc:
        if exc.field in ASSESS_FLAGS:  # the Python field name as the command's flag
            exc = InputError("--" + exc.field.replace("_", "-"), exc.value, exc.allowed, exc.reason)
        _fail(str(exc))
    except RuntimeError as exc:
        _fail(f"simulation failed: {exc}")
    if as_json:
        from .result import provenance

        data = result.to_dict() | provenance()
        if options is not None:
            data["options"] = options_dict(chosen, options)
        typer.echo(json.dumps(data))
    else:
        _print_assessment(result, options, chosen if options is not None else None)
    if options is not None and plot is not None:
        if min(chosen.times_h) < 1:  # an emergency: its first hours, with what calcium does to the membrane
            names = (
                chosen.primary,
                "Ca_ionized",
                "excitability_margin",
                "K_serum" if chosen.primary != "K_serum" else "K_cell",
            )
            _write_atomically([(plot, "--plot", lambda tmp: options.plot(tmp, names=names, until_h=8.0))])
        else:
            names = ("K_serum", "Mg_serum", "Ca_ionized", "K_cell", "K_urine", "romk_activity")
            _write_atomically([(plot, "--plot", lambda tmp: options.plot(tmp, names=names))])


ASSESS_FLAGS = {"age", "sex", "weight", "height", "reflexes", "resp_rate", "ecg", "urine_output", "dialysis"}


def _pairs(items: list[str], field: str) -> dict[str, str]:
    from .errors import InputError

    out = {}
    for item in items:
        if "=" not in item:
            raise InputError(field, item, "NAME=VALUE UNIT, e.g. 'K=2.9 mmol/L'")
        name, value = item.split("=", 1)
        if name.strip() in out:
            raise InputError(field, item, f"each name once ({name.strip()} is given twice)")
        out[name.strip()] = value.strip()
    return out


def _check_conditions(items: list[str], sex: str | None) -> list[str]:
    """Conditions as lytes names them (scenario vocabulary), refused in one line with the closest name otherwise."""
    import difflib

    from .errors import InputError
    from .scenario.regimen import conditions as table

    known = table()
    out = []
    for item in items:
        name = item.strip().lower().replace("-", "_").replace(" ", "_")
        name = {"diarrhoea": "diarrhea", "pre_eclampsia": "preeclampsia", "pregnant": "pregnancy"}.get(name, name)
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise InputError("--condition", item, f"one of {', '.join(known)}{hint}")
        if name in ("pregnancy", "preeclampsia") and sex == "male":
            raise InputError("--condition", item, "pregnancy only with --sex female")
        out.append(name)
    return out


def _check_meds(meds: list[str]) -> list[str]:
    """The canonical names of --med entries (drugs or products, any alias); an unknown one is refused."""
    from .scenario.vocabulary import resolve

    return [resolve(m, "--med")[1] for m in meds]


def _print_assessment(result, options, chosen) -> None:
    from rich.table import Table

    console = _console()
    labs = ", ".join(f"{k} {v:g}" for k, v in result.labs.items())
    egfr = f"; eGFR {result.egfr:g}" if result.egfr is not None else ""
    console.print(
        f"labs (mmol/L; creatinine mg/dL; PTH pg/mL): {labs}"
        + (f"{egfr or '; eGFR'} ({result.egfr_basis})" if result.egfr_basis not in (None, "given") else egfr)
    )
    if result.inputs:
        shown = {k: ", ".join(v) if isinstance(v, list) else v for k, v in result.inputs.items()}
        console.print(
            "clinical: " + "; ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in shown.items())
        )
    for a in result.assumptions:
        console.print(f"assumed: {a}")
    table = Table(title="findings")
    for col in ("severity", "code", "finding", "mechanism", "consider"):
        table.add_column(col, overflow="fold")
    style = {"urgent": "bold red", "warn": "yellow", "info": "cyan"}
    for f in result.findings:
        table.add_row(f"[{style[f.severity]}]{f.severity}[/]", f.code, f.summary, f.mechanism, f.consider)
    console.print(table)
    for m in result.missing:
        console.print(f"missing: {m}")
    if options is not None:
        from .reading.options import table_at

        times = chosen.times_h
        when = " / ".join(f"{t * 60:g} min" if t < 1 else f"{t:g} h" for t in times)
        lab = chosen.primary
        urgent = min(times) < 1
        opt = Table(title=f"{options.name} (simulations, not orders): {lab} at {when}")
        columns = ["option", "description", lab, "Mg / ionized Ca at the end"]
        columns += ["excitability margin mV (0 / 15 min / 1 h)"] if urgent else []
        for col in columns:
            opt.add_column(col, overflow="fold")
        values = table_at(options, times)
        margin = table_at(options, (0.0, 0.25, 1.0))
        for arm, v in values.items():
            text = options.descriptions.get(arm, "") + (f" - {chosen.notes[arm]}" if arm in chosen.notes else "")
            cells = [
                arm,
                text,
                " / ".join(f"{x:g}" for x in v[lab]),
                f"{v['Mg_serum'][-1]:g} / {v['Ca_ionized'][-1]:g}",
            ]
            if urgent:
                cells.append(" / ".join(f"{x:.1f}" for x in margin[arm]["excitability_margin"]))
            opt.add_row(*cells)
        console.print(opt)
        for arm, why in chosen.withheld.items():
            console.print(f"withheld: {arm} - {why}")
        for caveat in chosen.caveats:
            console.print(f"caveat: {caveat}")
        for note in next(iter(options.arms.values())).notes:
            console.print(f"note: {note}")
    console.print(result.notice)


def _print_state_table(data, notice: str) -> None:
    from rich.table import Table

    table = Table(title=f"magnesium states and potassium ({data['source']})")
    for col in ("feature", "normal Mg", "high Mg", "low Mg"):
        table.add_column(col, overflow="fold")
    for row in data["rows"]:
        table.add_row(row["feature"], row["normal"], row["high"], row["low"])
    console = _console()
    console.print(table)
    console.print(notice)


@app.command()
def scenarios(
    show: Annotated[
        str | None, typer.Option("--show", help="Print this built-in's YAML, to copy and edit (e.g. healthy).")
    ] = None,
):
    """List the built-in scenarios, or print one's YAML (--show NAME)."""
    from rich.table import Table

    from .scenario.catalog import builtin_path, describe, names

    if show is not None:
        if show not in names():
            import difflib

            close = (
                difflib.get_close_matches(show, names(), n=3, cutoff=0.5)
                or [n for n in names() if show.lower() in n.lower()][:3]
            )
            hint = f"did you mean {' or '.join(close)}?" if close else "see `lytes scenarios` for the names"
            _fail(f"--show: {show!r} is not a built-in scenario; {hint}")
        typer.echo(builtin_path(show).read_text(encoding="utf-8"), nl=False)
        return

    table = Table(title="built-in scenarios (run with `lytes run NAME`)")
    table.add_column("name")
    table.add_column("title")
    table.add_column("description")
    for name, title, text in describe():
        table.add_row(name, title, text)
    _console().print(table)


@app.command()
def vocabulary(
    name: Annotated[
        str | None, typer.Argument(help="Show one entry, by any name it is written as (e.g. Lasix).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the vocabulary as JSON.")] = False,
):
    """List every drug and product lytes knows: class, names people write, routes, usual dose, PK and source."""
    from .errors import InputError
    from .scenario.products import products
    from .scenario.vocabulary import display, resolve

    wanted = None
    if name is not None:
        try:
            wanted = display(*resolve(name, "name"))
        except InputError as exc:
            _fail(str(exc))
    from .scenario.regimen import drugs

    entries = []
    for key, d in drugs().items():
        pk = d["pk"]
        entries.append(
            {
                "name": key,
                "kind": f"drug ({d['class'].replace('_', ' ')})",
                "also": d.get("aliases", []),
                "routes": list(d["routes"]),
                "usual": d.get("usual", ""),
                "pk": (
                    f"F {pk['F']:g}, t1/2 {pk['half_life']:g} h, {100 * pk['renal_fraction']:.0f} % renal"
                    if "half_life" in pk
                    else f"not absorbed; acts in the gut (rate {pk['ka']:g}/h)"
                ),
                "source": d["source"],
            }
        )
    for p in products().values():
        entries.append(
            {
                "name": p.name,
                "kind": f"product ({p.ion}, {p.mmol_per_gram():.2f} mmol/g)",
                "also": list(p.aliases),
                "routes": list(p.routes),
                "usual": "",
                "pk": "",
                "source": p.source,
            }
        )
    if wanted is not None:
        entries = [e for e in entries if e["name"] == wanted]
    if as_json:
        typer.echo(json.dumps(entries, indent=1))
        return
    from rich.table import Table

    out = Table(title=f"lytes vocabulary ({len(entries)} entries; names are matched case-insensitively)")
    for col in ("name", "kind", "also written", "routes", "usual", "PK", "source"):
        out.add_column(col, overflow="fold")
    for e in entries:
        out.add_row(
            e["name"], e["kind"], ", ".join(e["also"]), ", ".join(e["routes"]), e["usual"], e["pk"], e["source"]
        )
    _console().print(out)


@app.command()
def params(
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the table as CSV.")] = False,
):
    """Print the parameter table: value, unit, evidence grade, description and source of every parameter."""
    from .model.parameters import EVIDENCE, table

    rows = table()
    if as_csv:
        from importlib import resources

        typer.echo(resources.files("lytes.data").joinpath("parameters.csv").read_text(encoding="utf-8"), nl=False)
        return
    from rich.table import Table

    out = Table(
        title=f"lytes parameters ({len(rows)}); evidence: " + ", ".join(f"{k} {v}" for k, v in EVIDENCE.items())
    )
    for col in ("name", "value", "unit", "ev.", "description", "source"):
        out.add_column(col, overflow="fold")
    for p in rows.values():
        out.add_row(p.name, f"{p.value:g}", p.unit, p.evidence, p.description, p.source)
    _console().print(out)


@app.command()
def validate(
    case: Annotated[list[str] | None, typer.Option("--case", help="Run only this case (repeatable), e.g. V08.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdicts as JSON.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write a Markdown report with figures here.")] = None,
    with_sensitivity: Annotated[
        bool,
        typer.Option("--sensitivity", help="Add each case's most influential parameters (slow; in the report if any)."),
    ] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Processes for --sensitivity (default: all cores).")
    ] = None,
):
    """Run the validation cases (published human data, V01-V27); exit 1 if any falls outside its band."""
    from .errors import InputError
    from .validation import cases, run_case

    available = cases()
    chosen = case or list(available)
    for cid in chosen:
        if cid.upper() not in available:
            _fail(f"--case: {cid!r} is not allowed; expected one of {', '.join(available)}")
    try:
        if report is not None:
            _check_report(report)
        _check_workers(workers)
    except InputError as exc:
        _fail(str(exc))
    results = [run_case(available[cid.upper()]) for cid in chosen]
    sens = None
    if with_sensitivity:
        from .validation.sensitivity import sensitivities

        with _progress() as bar:
            sens = sensitivities([r.case for r in results], workers=workers, progress=bar("local sensitivity"))
    if as_json:
        data = {"cases": [r.to_dict() for r in results]}
        if sens is not None:
            data["sensitivity"] = {cid: [[name, _finite(v)] for name, v in rows[:8]] for cid, rows in sens.items()}
        typer.echo(json.dumps(data))
    else:
        _print_validation(results)
        if sens is not None and report is None:
            for cid, rows in sens.items():
                typer.echo(f"{cid} most influential: " + ", ".join(f"{name} {value:+.2f}" for name, value in rows[:5]))
    if report is not None:
        from .validation.report import write

        path = _write_report(lambda folder: write(results, folder, sens), report)
        if not as_json:
            typer.echo(f"wrote {path}")
    if not all(r.passed for r in results):
        raise typer.Exit(1)


def _existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_report(report: Path) -> None:
    """Refuse a report folder before any case runs: a file in its place, or a place that cannot be written."""
    from .errors import InputError

    try:
        if report.exists() and not report.is_dir():
            raise InputError("--report", str(report), "a folder (for report.md and figures/), not a file")
        anchor = _existing_ancestor(report)
        if not anchor.is_dir():
            raise InputError("--report", str(report), "a folder path whose parents are folders, not files")
    except (OSError, ValueError) as exc:  # e.g. a name too long for the file system
        why = getattr(exc, "strerror", None) or str(exc)
        raise InputError("--report", str(report), f"a folder path this system can write ({why})") from None
    _probe(anchor, "--report", str(report))


def _write_report(writer, report: Path) -> Path:
    """Write the report in a scratch folder beside it, then move it into place: a failure leaves nothing."""
    import shutil
    import tempfile

    from .errors import InputError

    scratch = Path(tempfile.mkdtemp(dir=_existing_ancestor(report), prefix=".lytes-report-"))
    try:
        written = writer(scratch)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(scratch, 0o777 & ~mask)  # as mkdir would have made it, not mkdtemp's 0700
        report.parent.mkdir(parents=True, exist_ok=True)
        if not report.exists():
            os.replace(scratch, report)
        else:
            for item in sorted(scratch.rglob("*")):
                target = report / item.relative_to(scratch)
                if item.is_dir():
                    target.mkdir(exist_ok=True)
                else:
                    os.replace(item, target)
    except OSError as exc:
        _fail(str(InputError("--report", str(report), f"a folder that can be written ({exc.strerror})")))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report / written.relative_to(scratch)


def _print_validation(results) -> None:
    from rich.table import Table

    table = Table(title="lytes validation against published human data")
    for col in ("case", "set", "check", "observed", "simulated", "band", "verdict", "grade"):
        table.add_column(col)
    colour = {"green": "green", "yellow": "yellow", "red": "red", "-": "white"}
    for r in results:
        for c in r.checks:
            verdict = "pass" if c.passed else ("known failure" if c.check.known_failure else "[bold red]FAIL[/]")
            table.add_row(
                r.case.id,
                "fitted" if r.case.fitted else "held out",
                c.check.name,
                "-" if c.check.observed is None else f"{c.check.observed:g}",
                f"{c.simulated:.3g}",
                f"{c.check.band[0]:g} to {c.check.band[1]:g}",
                verdict,
                f"[{colour[c.grade]}]{c.grade}[/]",
            )
    console = _console()
    console.print(table)
    passed = sum(r.passed for r in results)
    console.print(f"{passed} of {len(results)} cases pass")


def _check_workers(workers: int | None) -> None:
    from .errors import InputError

    if workers is not None and workers < 1:
        raise InputError("--workers", workers, "a number of processes, 1 or more")


def _finite(value: float) -> float | None:
    """A number for JSON: NaN (an undefined index) becomes null."""
    return value if value == value else None


@contextmanager
def _progress():
    """Progress bars on stderr (shown only on a terminal): ``bar(description)`` makes one and returns its
    ``(done, total)`` callback."""
    from .progress import progress_bar

    with progress_bar() as shown:

        def bar(description: str, unit: str = "runs"):
            tasks: list = []  # the bar appears with its first update, so bars stack in the order work starts

            def update(done: int, total: int) -> None:
                if not tasks:
                    tasks.append(shown.add_task(f"{description} ({unit})", total=total))
                shown.update(tasks[0], completed=done, total=total)

            return update

        yield bar


@app.command()
def sensitivity(
    case_arg: Annotated[str | None, typer.Argument(metavar="[CASE]", help="A validation case, e.g. V18.")] = None,
    case: Annotated[list[str] | None, typer.Option("--case", help="Cases to analyse (default: all).")] = None,
    method: Annotated[
        str, typer.Option("--method", help="local (+5 % on every parameter), or morris or sobol (global; one case).")
    ] = "local",
    n: Annotated[
        int | None,
        typer.Option("--n", help="Global: Morris trajectories (10) or Sobol base sample, a power of 2 (64)."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Global: a parameter to vary (repeatable; default: the case's --top by local S)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Parameters to show per case (local) or to vary (global).")] = 8,
    seed: Annotated[
        int, typer.Option("--seed", help="Global: the sampling seed (the same seed, the same numbers).")
    ] = 0,
    workers: Annotated[int | None, typer.Option("--workers", help="Processes to run on (default: all cores).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print all sensitivities as JSON.")] = False,
):
    """Sensitivity of the validation outputs to the parameters: local (+5 % on each; minutes for all cases) or
    global for one case (--method morris or sobol, with SALib: pip install 'lytes[gsa]')."""
    from .errors import InputError
    from .validation import cases
    from .validation.sensitivity import sensitivities

    available = cases()
    given = [c.upper() for c in ([case_arg] if case_arg else []) + (case or [])]
    chosen = given or list(available)
    for cid in chosen:
        if cid not in available:
            _fail(f"--case: {cid!r} is not allowed; expected one of {', '.join(available)}")
    try:
        _check_workers(workers)
        if top < 1:
            raise InputError("--top", top, "1 or more")
        if method != "local":
            from .validation.gsa import check_request

            n = check_request(method, n)
            if len(given) != 1:
                raise InputError("CASE", ", ".join(given) or "none", f"one case for --method {method}, e.g. V18")
        elif n is not None or param:
            raise InputError(
                "--n" if n is not None else "--param", n if n is not None else param[0], "--method morris or sobol"
            )
    except InputError as exc:
        _fail(str(exc))
    if method != "local":
        _global_sensitivity(available[chosen[0]], method, n, param, top, seed, workers, as_json)
        return
    with _progress() as bar:
        result = sensitivities([available[c] for c in chosen], workers=workers, progress=bar("local sensitivity"))
    if as_json:
        typer.echo(json.dumps({cid: {name: _finite(v) for name, v in rows} for cid, rows in result.items()}))
        return
    for cid, rows in result.items():
        typer.echo(f"{cid}: " + ", ".join(f"{name} {value:+.2f}" for name, value in rows[:top]))


def _global_sensitivity(case, method, n, names, top, seed, workers, as_json) -> None:
    """Run and print (or --json) a Morris or Sobol analysis of one case."""
    from rich.table import Table

    from .errors import InputError
    from .validation.gsa import analyse

    try:
        with _progress() as bar:
            found = analyse(
                case,
                method,
                n,
                names=names,
                top=top,
                seed=seed,
                workers=workers,
                progress=bar(f"{method} {case.id}"),
                screening_progress=bar(f"screening {case.id} (local sensitivity)"),
            )
    except InputError as exc:
        _fail(str(exc))
    if as_json:
        data = found.to_dict()
        for check in data["checks"]:
            check["indices"] = [
                {k: _finite(v) if isinstance(v, float) else v for k, v in d.items()} for d in check["indices"]
            ]
        typer.echo(json.dumps(data))
        return
    console = _console()
    ranges = {p["name"]: p for p in found.parameters}
    for check in found.checks:
        table = Table(title=f"{case.id} - {check['name']} (baseline {check['baseline']:.4g}): {method}, n = {found.n}")
        table.add_column("rank", justify="right")
        table.add_column("parameter")
        table.add_column("ev.")
        table.add_column("range", justify="right")
        cols = ("mu*", "+/- (95 %)", "sigma") if method == "morris" else ("S1", "+/- (95 %)", "ST", "+/- (95 %)")
        for col in cols:
            table.add_column(col, justify="right")
        for rank, d in enumerate(check["indices"], start=1):
            p = ranges[d["parameter"]]
            values = (
                (d["mu_star"], d["mu_star_conf"], d["sigma"])
                if method == "morris"
                else (d["S1"], d["S1_conf"], d["ST"], d["ST_conf"])
            )
            table.add_row(
                str(rank),
                d["parameter"],
                p["evidence"],
                f"{p['low']:.3g}-{p['high']:.3g} {p['unit']}",
                *(f"{v:.3g}" for v in values),
            )
        console.print(table)
    console.print(
        f"{found.runs} runs ({found.failed} failed); ranges are a modelling choice from the evidence grade: the value "
        "x/÷ 1.1 (E), 1.25 (S), 1.5 (M), 2 (U), uniform on a log scale"
    )
    for note in found.notes:
        console.print(f"note: {note}")


@app.command()
def population(
    spec: Annotated[
        str, typer.Argument(help="A population spec YAML file or a built-in population (mgso4_population, ...).")
    ],
    n: Annotated[int, typer.Option("--n", help="Number of virtual patients (at most 100,000).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same numbers.")] = 0,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes (default: all cores; 1 runs here).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help='Run on a Dask cluster at this address, e.g. tcp://host:8786 (pip install "lytes\\[dask]").',
        ),
    ] = None,
    every: Annotated[
        str | None, typer.Option("--every", help="Output interval, e.g. '15 min' (default: the spec's).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summaries as JSON (attainment under 'attainment').")
    ] = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write percentile bands per arm to this PNG/PDF/SVG.")
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write every patient's series (long: patient, arm, time_h, ...) here.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
):
    """Simulate a virtual population: percentile bands and the probability of target attainment and toxicity per arm
    and subgroup."""
    from .errors import InputError
    from .population import names as population_names
    from .population import population as run_population

    try:
        _check_output(csv, "--csv", (".csv",))
        _check_output(plot, "--plot", (".png", ".pdf", ".svg"))
        if spec not in population_names() and not _is_file(spec):
            raise InputError(
                "SPEC", spec, f"a population spec YAML file or a built-in population ({', '.join(population_names())})"
            )
        for flag, value, low, high in (
            ("--n", n, 1, 100_000),
            ("--workers", workers, 1, 1024),
            ("--seed", seed, 0, 2**63 - 1),
        ):
            if value is not None and (value < low or (high is not None and value > high)):
                limit = f"from {low:,} to {high:,}" if high is not None else f"of {low} or more"
                raise InputError(flag, value, f"a whole number {limit}")
        pop = run_population(
            spec, n=n, seed=seed, workers=workers, scheduler=scheduler, every=every, progress=False if quiet else None
        )
    except InputError as exc:
        _fail(str(exc))
    except RuntimeError as exc:
        _fail(f"population failed: {' '.join(str(exc).split())}")
    outputs = []
    if csv is not None:
        outputs.append((csv, "--csv", pop.to_csv))
    if plot is not None:
        outputs.append((plot, "--plot", lambda tmp: pop.plot(tmp)))
    _write_atomically(outputs)
    if as_json:
        typer.echo(json.dumps(pop.to_dict()))
        return
    _print_population(pop)
    for path in (csv, plot):
        if path is not None:
            typer.echo(f"wrote {path}")


def _percent_cell(row) -> str:
    if row["n"] == 0:
        return "-"
    return f"{100 * row['probability']:.0f} % ({100 * row['ci95_low']:.0f}-{100 * row['ci95_high']:.0f})"


def _print_population(pop) -> None:
    """The population, its failures, the attainment and toxicity tables (arm columns) and percentiles at key times."""
    from rich.table import Table

    from .result import NOTICE

    console = _console()
    info = pop.summary()
    covs = info["covariates"]
    words = [f"{k} {v['median']:.3g} ({v['p5']:.3g}-{v['p95']:.3g})" for k, v in covs.items() if isinstance(v, dict)]
    console.print(f"[bold]{pop.plan.name}[/bold]: N = {pop.n}, seed {pop.seed}; arms: {', '.join(pop.arms)}")
    console.print("covariates, median (5th-95th percentile): " + "; ".join(words))
    if len(pop.subgroups) > 1:
        console.print("subgroups: " + "; ".join(f"{name} {s['n']}" for name, s in info["subgroups"].items()))
    console.print(f"parameters: {pop.plan.parameter_text}")
    failures = pop.failures()
    if len(failures):
        kinds = failures["kind"].value_counts().to_dict()
        console.print(
            f"[yellow]{len(failures)} of {pop.n} patients failed to simulate[/yellow] ("
            + ", ".join(f"{v} {k}" for k, v in kinds.items())
            + f"); e.g. patient {failures['patient'].iloc[0]}: {failures['message'].iloc[0]}"
        )
    rows = pop.attainment()
    for kind, title in (("target", "probability of target attainment"), ("toxicity", "probability of toxicity")):
        part = rows[rows["kind"] == kind]
        if part.empty:
            continue
        table = Table(title=f"{title}, % (95 % CI) of the patients that simulated")
        table.add_column("target")
        table.add_column("when", justify="right")
        table.add_column("subgroup")
        table.add_column("n", justify="right")
        for arm in pop.arms:
            table.add_column(arm, justify="right")
        keys = list(dict.fromkeys(zip(part["target"], part["mode"], part["time_h"], part["subgroup"])))
        for target, mode, time_h, subgroup in keys:
            here = part[
                (part["target"] == target)
                & (part["mode"] == mode)
                & (part["time_h"] == time_h)
                & (part["subgroup"] == subgroup)
            ]
            cells = {r["arm"]: _percent_cell(r) for _, r in here.iterrows()}
            table.add_row(
                target if subgroup == "all" else "",
                (f"at {time_h:g} h" if mode == "at" else f"by {time_h:g} h") if subgroup == "all" else "",
                subgroup,
                str(int(here["n"].iloc[0])),
                *(cells.get(arm, "-") for arm in pop.arms),
                end_section=subgroup == pop.subgroups[-1] or len(pop.subgroups) == 1,
            )
        console.print(table)
    times = sorted({t.time_h for t in pop.targets}) or [float(pop.time_h[-1])]
    table = Table(title="median (5th-95th percentile) over all patients")
    table.add_column("quantity")
    table.add_column("time", justify="right")
    for arm in pop.arms:
        table.add_column(arm, justify="right")
    bands = pop._bands()
    import numpy as np

    for q in pop.quantities:
        for k, t in enumerate(times):
            cells = []
            for arm in pop.arms:
                b = bands[(arm, q)]
                p5, p50, p95 = (float(np.interp(t, pop.time_h, b[i])) for i in (0, 2, 4))
                cells.append(f"{p50:.2f} ({p5:.2f}-{p95:.2f})")
            table.add_row(
                f"{q} [{pop.plan.units[q]}]" if k == 0 else "", f"{t:g} h", *cells, end_section=k == len(times) - 1
            )
    console.print(table)
    rate = pop.n / pop.elapsed_s if pop.elapsed_s > 0 else float("nan")
    where = "a Dask cluster" if pop.workers == 0 else f"{pop.workers} worker{'s' if pop.workers != 1 else ''}"
    console.print(f"{pop.n} patients in {pop.elapsed_s:.1f} s ({rate:.1f} patients/s, {where})")
    console.print(_provenance_line())
    console.print(NOTICE)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (default 127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
):
    """Serve the web page, the REST API (/api/run, /api/assess, /api/population) and the CDS Hooks service
    (/cds-services); needs pip install "lytes\\[web]"."""
    from . import web

    gone = web.missing()
    if gone:
        _fail(f"lytes serve needs the web extra ({', '.join(gone)} not installed): {web.INSTALL}")
    if not 1 <= port <= 65535:
        _fail(f"--port: {port} is not allowed; expected a port number from 1 to 65535")
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(
            f"warning: serving on {host}: anyone who can reach this address can use it (there is no login)", err=True
        )
    typer.echo(f"lytes {__version__}: open http://{host}:{port}/ (stop with Ctrl+C)", err=True)
    try:
        web.serve(host, port)
    except OSError as exc:
        _fail(f"--port: {port} could not be used on {host} ({exc.strerror or exc})")


def _usage_errors() -> tuple[type, ...]:
    """The command-line framework's own error classes (typer vendors click; older typer uses click itself)."""
    from typer.exceptions import Abort

    try:
        from typer._click.exceptions import UsageError
    except ImportError:  # pragma: no cover - typer with click as a dependency
        from click.exceptions import UsageError
    return UsageError, Abort


def _given(name: str) -> str | None:
    """What the user typed for an option (``--age abc`` or ``--age=abc``), to echo in the error."""
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1 :]
    return None


def _usage_line(exc) -> str:
    """A usage error in lytes' one-line form: the option, what was given, and what is allowed."""
    from .errors import shorten

    param = getattr(exc, "param", None)
    message = " ".join(exc.format_message().split()).rstrip(".")
    if param is not None and getattr(param, "opts", None) and "Invalid value" in message:
        name = max(param.opts, key=len)
        allowed = (
            "a number"
            if "valid number" in message
            else "a whole number"
            if "valid integer" in message
            else message.split(": ", 1)[-1]
        )
        return f"{name}: {shorten(_given(name))!r} is not allowed; expected {allowed}"
    command = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "lytes"
    return f"{message[0].lower() + message[1:]} (see '{command} --help')"


def main() -> None:
    usage, abort = _usage_errors()
    try:
        code = app(standalone_mode=False)
    except usage as exc:
        typer.echo(f"error: {_short_words(_usage_line(exc))}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, abort):  # pragma: no cover
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()

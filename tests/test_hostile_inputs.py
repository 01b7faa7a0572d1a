"""Hostile or broken inputs (issue 13, item 3): one error line naming the field and what is allowed, exit 2,
nothing written, in seconds - never a traceback or a hang."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lytes.errors import InputError
from lytes.scenario.schema import MAX_FILE_BYTES, MAX_TEXT_CHARS

LONG = 100_000


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _lytes(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run the CLI; assert it refused in one line, fast, without a traceback and without writing anything."""
    before = _tree(cwd)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "lytes", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert max(len(word) for word in lines[0].split()) < 200, lines[0]  # a long value is echoed shortened
    assert _tree(cwd) == before, "something was written"
    assert elapsed < 10, f"took {elapsed:.1f} s"
    return proc


def _alias_bomb(key: str) -> str:
    """The billion laughs: nine levels of nine aliases each, pointed at by ``key``."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
        prev = name
    lines.append(f"{key}: *{prev}")
    return "\n".join(lines) + "\n"


def _doubling_bomb(key: str) -> str:
    """Few aliases, exponential size: each anchor is two aliases of the one before."""
    lines = ["x0: &x0 [lol, lol]"] + [f"x{i}: &x{i} [*x{i - 1}, *x{i - 1}]" for i in range(1, 45)]
    return "\n".join(lines) + f"\n{key}: *x44\n"


SCENARIO_FILES = {
    "latin1": (b"name: caf\xe9 au lait\nduration: 1 d\n", "UTF-8 text"),
    "binary": (bytes(range(256)) * 8, "UTF-8 text"),
    "nul_bytes": (b"name: x\x00\x00\x00\n", "UTF-8 text"),
    "too_big": (b"name: x\n# " + b"a" * (MAX_FILE_BYTES + 10) + b"\n", f"{MAX_FILE_BYTES:,} bytes"),
    "too_big_not_yaml": (b"{[" * (MAX_FILE_BYTES // 2 + 10), f"{MAX_FILE_BYTES:,} bytes"),
    "alias_bomb_name": (_alias_bomb("name").encode(), "values"),
    "alias_bomb_patient": (
        (_alias_bomb("conditions_list").replace("conditions_list: *i", "patient:\n  conditions: *i")).encode(),
        "values",
    ),
    "doubling_bomb": (_doubling_bomb("description").encode(), "values"),
    "many_aliases": (
        ("base: &b [1]\n" + "".join(f"k{i}: *b\n" for i in range(150))).encode(),
        "uses of YAML aliases",
    ),
    "deep_nesting": (("name: " + "[" * 200 + "]" * 200 + "\n").encode(), "levels of nesting"),
    "long_name": (("name: " + "x" * LONG + "\n").encode(), "name: "),
    "long_unit": (('patient:\n  weight: "70 ' + "k" * LONG + '"\n').encode(), "patient.weight"),
    "long_product": (
        ("interventions:\n  - at: 0 h\n    give: " + "p" * LONG + "\n    dose: 1 g\n").encode(),
        "interventions[0].give",
    ),
    "long_lab": (('patient:\n  labs:\n    K: "3.0 ' + "m" * LONG + '"\n').encode(), "patient.labs.K"),
    "long_key": (("patient:\n  ? " + "k" * 5000 + "\n  : 1\n").encode(), "(a key)"),
}


@pytest.mark.parametrize("case", list(SCENARIO_FILES))
def test_hostile_scenario_file(case, tmp_path):
    content, expected = SCENARIO_FILES[case]
    path = tmp_path / "scenario.yaml"
    path.write_bytes(content)
    proc = _lytes(["run", "scenario.yaml"], tmp_path)
    assert expected in proc.stderr, proc.stderr
    assert f"{MAX_TEXT_CHARS:,} characters" in proc.stderr or not case.startswith("long")


def _unwritable(tmp_path: Path) -> Path:
    if os.geteuid() == 0:
        pytest.skip("root can write into a read-only folder")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


OUTPUTS = {
    "missing_folder": (lambda tmp, suffix: f"/nonexistent/x{suffix}", "existing folder"),
    "a_folder": (lambda tmp, suffix: (tmp / f"out{suffix}").mkdir() or f"out{suffix}", "not a folder"),
    "a_file_as_folder": (lambda tmp, suffix: (tmp / "f").write_text("") or f"f/x{suffix}", "existing folder"),
    "unwritable": (lambda tmp, suffix: str(_unwritable(tmp) / f"x{suffix}"), "write to"),
    "name_too_long": (lambda tmp, suffix: "x" * 5000 + suffix, "this system can write"),
}

COMMANDS = {
    "run_plot": (["run", "healthy", "--plot"], ".png"),
    "run_csv": (["run", "healthy", "--csv"], ".csv"),
    "assess_plot": (["assess", "--lab", "K=2.9 mmol/L", "--simulate", "--plot"], ".png"),
}


@pytest.mark.parametrize("where", list(OUTPUTS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_output_path(command, where, tmp_path):
    args, suffix = COMMANDS[command]
    make, expected = OUTPUTS[where]
    target = make(tmp_path, suffix)
    try:
        proc = _lytes([*args, target], tmp_path)
    finally:
        for locked in tmp_path.glob("locked"):
            locked.chmod(0o700)
    assert expected in proc.stderr, proc.stderr
    assert "--csv" in proc.stderr or "--plot" in proc.stderr


def test_report_onto_a_file_is_refused_before_running(tmp_path):
    (tmp_path / "report").write_text("keep me")
    proc = _lytes(["validate", "--case", "V01", "--report", "report"], tmp_path)
    assert "--report" in proc.stderr and "not a file" in proc.stderr
    assert (tmp_path / "report").read_text() == "keep me"


@pytest.mark.parametrize(
    "args",
    [["run", "x" * 5000], ["validate", "--report", "r" * 5000]],
    ids=["scenario_name", "report"],
)
def test_long_arguments(args, tmp_path):
    _lytes(args, tmp_path)


def test_failed_write_leaves_nothing(tmp_path):
    """A writer that fails half-way: no partial file, no scratch file, and no sibling output moved into place."""
    import typer

    from lytes.cli import _write_atomically

    def good(path: Path) -> None:
        path.write_text("a,b\n1,2\n")

    def broken(path: Path) -> None:
        path.write_text("half a pict")
        raise OSError(28, "No space left on device")

    with pytest.raises(typer.Exit):
        _write_atomically([(tmp_path / "x.csv", "--csv", good), (tmp_path / "x.png", "--plot", broken)])
    assert list(tmp_path.iterdir()) == []
    _write_atomically([(tmp_path / "x.csv", "--csv", good)])
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]
    assert (tmp_path / "x.csv").read_text() == "a,b\n1,2\n"


@pytest.mark.parametrize(
    "value",
    ["x" * LONG, ["item"] * LONG, {"k" * LONG: 1}, "line\n" * 1000],
    ids=["text", "list", "mapping", "lines"],
)
def test_input_error_shortens_long_values(value):
    text = str(InputError("patient." + "f" * 500, value, "something short", None))
    assert "\n" not in text and len(text) < 300, text
    text = str(InputError("--lab", "K", None, "cannot be reached: " + "y" * LONG))
    assert len(text) < 300, text


def test_a_huge_quantity_on_the_command_line_is_refused_quickly():
    import subprocess
    import sys
    import time

    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "lytes", "run", "healthy", "--every", "1" + "0" * 100_000 + " h"],
        capture_output=True,
        text=True,
    )
    assert time.monotonic() - start < 10
    assert proc.returncode == 2 and proc.stderr.startswith("error: --every") and "Traceback" not in proc.stderr
    assert len(proc.stderr) < 600


# option values and command lines the framework refuses get the same one-line form as scenario errors
OPTION_ERRORS = {
    "age_text": (["assess", "--lab", "K=3 mmol/L", "--age", "abc"], "--age: 'abc' is not allowed; expected a number"),
    "age_equals": (["assess", "--lab", "K=3 mmol/L", "--age=abc"], "--age: 'abc' is not allowed"),
    "workers_text": (["validate", "--case", "V01", "--workers", "many"], "--workers: 'many' is not allowed"),
    "missing_argument": (["run"], "missing argument 'scenario'"),
    "missing_option_value": (["run", "healthy", "--every"], "'--every' requires an argument"),
    "unknown_option": (["run", "healthy", "--bogus"], "no such option: --bogus"),
    "unknown_command": (["simulate-everything"], "no such command"),
}


@pytest.mark.parametrize("case", list(OPTION_ERRORS))
def test_option_errors_are_one_line(case, tmp_path):
    args, expected = OPTION_ERRORS[case]
    proc = _lytes(args, tmp_path)
    assert expected in proc.stderr, proc.stderr


def test_an_output_grid_too_fine_for_memory_is_refused_before_running(tmp_path):
    (tmp_path / "five_years.yaml").write_text("duration: 5 y\n")
    proc = _lytes(["run", "five_years.yaml", "--every", "1 min"], tmp_path)
    assert "every" in proc.stderr and "output points" in proc.stderr


MORE_OPTION_ERRORS = {
    "unknown_condition": (["assess", "--lab", "K=3 mmol/L", "--condition", "foo_bar"], "--condition: 'foo_bar'"),
    "a_lab_twice": (["assess", "--lab", "K=2.9 mmol/L", "--lab", "K=6.5 mmol/L"], "given twice"),
    "male_pregnancy": (["assess", "--lab", "K=3 mmol/L", "--sex", "male", "--condition", "pregnancy"], "--sex female"),
    "plot_without_simulate": (["assess", "--lab", "K=3 mmol/L", "--plot", "x.png"], "--simulate"),
    "population_name_too_long": (["population", "q" * 300], "SPEC"),
    "long_unknown_command": (["x" * 20_000], "no such command"),
    "long_case": (["validate", "--case", "y" * 20_000], "--case"),
}


@pytest.mark.parametrize("case", list(MORE_OPTION_ERRORS))
def test_more_option_errors_are_one_short_line(case, tmp_path):
    args, expected = MORE_OPTION_ERRORS[case]
    proc = _lytes(args, tmp_path)
    assert expected in proc.stderr and len(proc.stderr) < 1000, proc.stderr[:300]


def test_a_pipe_nobody_writes_is_refused_not_waited_on(tmp_path, monkeypatch):
    from lytes.scenario import load, schema

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    monkeypatch.setattr(schema, "PIPE_WAIT_S", 0.3)
    with pytest.raises(InputError, match="pipe written to"):
        load(str(fifo))


def test_a_device_is_refused(tmp_path):
    proc = _lytes(["run", "/dev/zero"], tmp_path)
    assert "regular YAML file" in proc.stderr

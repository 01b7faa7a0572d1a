"""The scenario file format (YAML): structure checked by pydantic, quantities parsed with units by pint.

Every error names the field (e.g. ``interventions[1].rate``), the value, and what is allowed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError

MAX_DURATION_H = 5 * 365.25 * 24
MAX_HISTORY_H = 20 * 365.25 * 24  # a history (before t = 0) may go back 20 years (long PPI use)

# Limits on a scenario file, checked before anything is built from it (hostile or broken files fail fast).
MAX_FILE_BYTES = 1_000_000
MAX_TEXT_CHARS = 1_000  # any one key or value
MAX_ALIASES = 100  # YAML alias uses (*name)
MAX_VALUES = 100_000  # keys and values once aliases are expanded
MAX_DEPTH = 50  # nesting of mappings and lists

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PatientSpec(_Strict):
    weight: str = "70 kg"
    height: str | None = None
    sex: str = "male"
    age: str = "40 y"
    egfr: str | None = None
    creatinine: str | None = None
    conditions: list[str | dict[str, Any]] = Field(default_factory=list)
    labs: dict[str, str] | None = None


class DietSpec(_Strict):
    K: str | None = None
    Mg: str | None = None
    Na: str | None = None
    Ca: str | None = None
    foods: dict[str, str | int | float] | None = None


class MedicationSpec(_Strict):
    drug: str
    dose: str
    every: str = "24 h"
    route: str | None = None
    at: str = "0 h"
    for_: str | None = Field(None, alias="for")


class InterventionSpec(_Strict):
    at: str
    give: str | None = None
    event: str | None = None
    route: str | None = None
    dose: str | None = None
    over: str | None = None
    rate: str | None = None
    every: str | None = None
    for_: str | None = Field(None, alias="for")
    volume: str | None = None
    concentration: str | None = None
    glucose: str | None = None
    muscle: str | None = None
    # dialysis (scenario/dialysis.py): sessions on weekdays or at an interval, CRRT, peritoneal dialysis
    dialysate: dict[str, str] | None = None
    blood_flow: str | None = None
    effluent: str | None = None
    fluid: dict[str, str] | None = None
    days: list[str] | None = None
    start_day: str | None = None
    times: int | None = None
    until: str | None = None
    exchanges: int | None = None
    dwell: str | None = None
    fill: str | None = None
    diet: DietSpec | None = None


class HistorySpec(_Strict):
    duration: str
    diet: DietSpec | None = None
    medications: list[MedicationSpec] = Field(default_factory=list)
    interventions: list[InterventionSpec] = Field(default_factory=list)
    conditions: list[str | dict[str, Any]] = Field(default_factory=list)


class ArmSpec(_Strict):
    description: str = ""
    interventions: list[InterventionSpec] = Field(default_factory=list)
    medications: list[MedicationSpec] = Field(default_factory=list)


class Scenario(_Strict):
    """A scenario: who the patient is, what they eat and take, what is given, for how long, and which arms."""

    name: str = "unnamed scenario"
    description: str = ""
    patient: PatientSpec = Field(default_factory=PatientSpec)
    diet: DietSpec = Field(default_factory=DietSpec)
    medications: list[MedicationSpec] = Field(default_factory=list)
    interventions: list[InterventionSpec] = Field(default_factory=list)
    history: HistorySpec | None = None
    arms: dict[str, ArmSpec] | None = None
    duration: str = "7 d"
    sources: list[str] = Field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Any, origin: str = "scenario") -> Scenario:
        if not isinstance(data, dict):
            raise InputError(
                origin, type(data).__name__, "a mapping with keys name, patient, diet, interventions, duration"
            )
        _check_texts(data)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _first_error(exc) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        return cls.from_dict(_read_yaml(Path(path)), origin=str(path))


def _read_yaml(p: Path) -> Any:
    """The data of a scenario file, refused before it is built if it is too big, binary or an alias bomb."""
    import stat

    try:
        mode = p.stat().st_mode
        if stat.S_ISFIFO(mode):  # a pipe (e.g. `lytes run <(...)`) is read if it is written to within seconds
            raw = _read_pipe(p)
        elif not stat.S_ISREG(mode):  # a device or a folder would never end or cannot be read
            raise InputError("scenario", str(p), "a regular YAML file (not a device or a folder)")
        else:
            with p.open("rb") as fh:
                raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError("scenario", str(p), f"a readable YAML file ({exc.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError("scenario", str(p), f"a YAML file of at most {MAX_FILE_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            "scenario", str(p), f"a UTF-8 text file (byte 0x{raw[exc.start]:02x} at position {exc.start} is not UTF-8)"
        ) from None
    return parse_yaml_text(text, "scenario", str(p), "a UTF-8 text file")


PIPE_WAIT_S = 10.0


def _read_pipe(p: Path) -> bytes:
    """A named pipe's bytes, up to the file limit; refused in one line if nothing is written within PIPE_WAIT_S."""
    import os
    import select
    import time

    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    chunks, size, deadline = [], 0, time.monotonic() + PIPE_WAIT_S
    try:
        while size <= MAX_FILE_BYTES:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                raise InputError("scenario", str(p), f"a pipe written to within {PIPE_WAIT_S:g} s (nothing came)")
            chunk = os.read(fd, 65536)
            if not chunk:
                if chunks or time.monotonic() >= deadline:
                    break
                time.sleep(0.05)  # no writer yet (a FIFO opened before its writer)
                continue
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def parse_yaml_text(text: str, field: str = "scenario", shown: str = "the text", kind: str = "YAML text") -> Any:
    """YAML text as data, with a file's limits: control characters, long strings, deep nesting and alias bombs are
    refused in one line before anything is expanded (for files, and for text sent to the web service)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise InputError(field, f"{len(text):,} characters", f"YAML of at most {MAX_FILE_BYTES:,} bytes")
    bad = _CONTROL.search(text)
    if bad is not None:
        raise InputError(field, shown, f"{kind} (control character {bad.group()!r} at {bad.start()})")
    try:
        _check_events(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader, checked above
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise InputError(field, shown, f"valid YAML{where}") from None


def _check_events(text: str) -> None:
    """Walk the YAML events (aliases are not expanded here) and refuse long text, deep nesting and alias bombs.

    Each open collection is [kind, path part, expanded values at its start, anchor, expecting a key, index].
    """
    stack: list[list] = []
    anchors: dict[str, int] = {}
    aliases = values = 0

    def where() -> str:
        out = ""
        for kind, key, _, _, expect_key, index in stack:
            part = index if kind == "seq" else (None if expect_key else key)
            if part is None:
                break
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out or "scenario"

    def done(key=None) -> None:  # a node is complete: it was a key, a value or a list item of its parent
        if not stack:
            return
        top = stack[-1]
        if top[0] == "seq":
            top[5] += 1
        elif top[4]:
            top[1], top[4] = key if key is not None else "?", False
        else:
            top[4] = True

    def count(n: int) -> None:
        nonlocal values
        values += n
        if values > MAX_VALUES:
            raise InputError(
                where(),
                f"more than {MAX_VALUES:,} values",
                f"at most {MAX_VALUES:,} keys and values in a scenario once YAML aliases are expanded",
            )

    for ev in yaml.parse(text, Loader=_Loader):
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            count(1)
            stack.append(["map" if isinstance(ev, yaml.MappingStartEvent) else "seq", None, values, ev.anchor, True, 0])
            if len(stack) > MAX_DEPTH:
                raise InputError(where(), f"{len(stack)} levels deep", f"at most {MAX_DEPTH} levels of nesting")
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            _, _, start, anchor, _, _ = stack.pop()
            if anchor:
                anchors[anchor] = values - start + 1
            done()
        elif isinstance(ev, yaml.ScalarEvent):
            if len(ev.value) > MAX_TEXT_CHARS:
                is_key = bool(stack) and stack[-1][0] == "map" and stack[-1][4]
                field = f"{where()} (a key)" if is_key else where()
                raise InputError(field, ev.value, f"a text of at most {MAX_TEXT_CHARS:,} characters")
            count(1)
            if ev.anchor:
                anchors[ev.anchor] = 1
            done(ev.value)
        elif isinstance(ev, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise InputError(
                    where(), f"*{ev.anchor}", f"at most {MAX_ALIASES} uses of YAML aliases (*name) in a scenario"
                )
            count(anchors.get(ev.anchor, 1))
            done(f"*{ev.anchor}")


def _check_texts(data: Any, path: str = "") -> None:
    """Refuse any key or value longer than MAX_TEXT_CHARS (shared lists and mappings are visited once)."""
    seen: set[int] = set()
    todo = [(data, path)]
    while todo:
        item, where = todo.pop()
        if isinstance(item, str):
            if len(item) > MAX_TEXT_CHARS:
                raise InputError(where or "scenario", item, f"a text of at most {MAX_TEXT_CHARS:,} characters")
        elif isinstance(item, (dict, list)):
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, dict):
                for key, value in item.items():
                    name = f"{where}.{key}" if where else str(key)
                    if isinstance(key, str) and len(key) > MAX_TEXT_CHARS:
                        raise InputError(
                            f"{where or 'scenario'} (a key)", key, f"a text of at most {MAX_TEXT_CHARS:,} characters"
                        )
                    todo.append((value, name))
            else:
                todo.extend((value, f"{where}[{i}]") for i, value in enumerate(item))


def _first_error(exc: ValidationError) -> InputError:
    err = exc.errors()[0]
    path = ""
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    path = path.replace("for_", "for")
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden" and len(err["loc"]) >= 3 and err["loc"][0] == "arms":
        return InputError(
            path,
            value,
            "arms share the patient, history and diet; an arm may set only interventions, medications and description",
        )
    if kind == "extra_forbidden":
        parent = path.rsplit(".", 1)[0] if "." in path else "scenario"
        return InputError(path, value, f"no such key here; see the keys allowed in '{parent}' in the README")
    if kind == "missing":
        return InputError(path, None, "this key is required")
    if kind in ("string_type",) or (kind.endswith("_type") and isinstance(value, (int, float))):
        return InputError(path, value, "a text value with a unit, e.g. '4 g'")
    if kind == "list_type":
        return InputError(
            path, value, "a list (one '- item' per line, or [a, b]), e.g. interventions: [{at: 0 h, ...}]"
        )
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return InputError(path, value, "a mapping of keys to values, e.g. {weight: 70 kg, sex: male}")
    return InputError(path, value, err["msg"])


def load(source) -> Scenario:
    """A Scenario from a Scenario, a dict, a YAML path, or the name of a built-in scenario."""
    if isinstance(source, Scenario):
        return source
    if isinstance(source, dict):
        return Scenario.from_dict(source)
    from .catalog import builtin_path, names

    text = str(source)
    if text in names():
        return Scenario.from_yaml(builtin_path(text))
    try:
        exists = Path(text).exists()
    except (OSError, ValueError):  # a name too long for the file system, or with a NUL byte: no such file
        exists = False
    if exists:
        return Scenario.from_yaml(text)
    raise InputError("scenario", text, f"a YAML file path or a built-in scenario ({', '.join(names())})")

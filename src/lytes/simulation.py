"""One entry point: ``simulate(scenario)`` builds the patient, finds their steady state (or runs their history),
and runs the scenario's regimen - or each of its arms - through the engine."""

from __future__ import annotations

import numpy as np

from .engine import steady
from .engine.codegen import Compiled, compiled, parameter_vector
from .engine.scipy_engine import Segment, integrate
from .errors import InputError
from .result import Comparison, Result, build_result, scenario_data
from .scenario import load
from .scenario.regimen import Regimen, compile_history, compile_regimen

ACCUMULATORS = ("intake", "urine", "faeces", "other")


EVERY_ALLOWED = "an output interval: a number of hours or a string with its unit, such as '15 min' or '1 h'"


def _every_hours(every) -> float | None:
    """``every`` as hours: a number is in hours, a string carries its unit ('30 min', '1 h'); anything else is
    refused in one line naming ``every``."""
    if every is None:
        return None
    if isinstance(every, str):
        from .units import parse

        return parse(every, "every", "h", EVERY_ALLOWED)
    if isinstance(every, bool) or not isinstance(every, (int, float, np.integer, np.floating)):
        raise InputError("every", every, EVERY_ALLOWED)
    if not np.isfinite(every):
        raise InputError("every", every, EVERY_ALLOWED)
    return float(every)


def _grid(duration: float, every: float | None) -> np.ndarray:
    if duration < 1 / 60 - 1e-12:
        raise InputError("duration", f"{duration * 3600:.3g} s", "a run of at least 1 min")
    if every is None:
        every = min(0.25, duration) if duration <= 14 * 24 else max(0.25, duration / 4000)
    if not 1 / 60 <= every <= duration:
        shown = f"{every * 3600:.3g} s" if every < 1 / 60 else f"{every:g} h"
        raise InputError("every", shown, "an output interval from 1 min up to the scenario's duration")
    n = int(np.floor(duration / every + 1e-9))
    if n > MAX_OUTPUT_POINTS:  # bounded memory: ~60 series per point and arm
        raise InputError(
            "every",
            f"{every * 60:g} min" if every < 1 else f"{every:g} h",
            f"an interval of at least {duration * 60 / MAX_OUTPUT_POINTS:.3g} min for a run of {duration / 24:g} days "
            f"(at most {MAX_OUTPUT_POINTS:,} output points)",
        )
    t = np.arange(n + 1) * every
    if t[-1] < duration - 1e-9:
        t = np.append(t, duration)
    return t


def drug_classes(*regimens: Regimen) -> tuple[str, ...] | None:
    """The model variant the regimens need: without drug states (()) when they use no drug, else the full model
    (None). Two variants only, so a fresh machine generates code at most twice (~20 s each, then cached)."""
    from .model.mechanisms.drugs import CLASSES

    names = set()
    for reg in regimens:
        names.update(reg.base)
        names.update(ch.input for ch in reg.changes)
        names.update(j.state for j in reg.jumps)
    uses_drugs = any(n.startswith(f"{cls}_") for cls in CLASSES for n in names)
    return None if uses_drugs else ()


def baseline_inputs(c: Compiled, reg: Regimen) -> np.ndarray:
    """Inputs in force from t = 0 and in the initial steady state: defaults, diet, conditions."""
    u = np.array(c.layout.input_defaults, dtype=float)
    for name, value in reg.base.items():
        u[c.input_index[name]] = value
    return u


def segments(c: Compiled, reg: Regimen, u0: np.ndarray) -> list[Segment]:
    """Piecewise-constant inputs between every change; dose jumps at the start of the segment they fall in."""
    points = {0.0, reg.duration}
    for ch in reg.changes:
        points.update((ch.t0, ch.t1))
    points.update(j.t for j in reg.jumps)
    bounds = sorted(t for t in points if 0 <= t <= reg.duration)
    # one sweep over time (a run may have tens of thousands of doses): changes start and stop at the bounds, and
    # the active ones apply in the regimen's order (set, then mul, then add)
    starts: dict[float, list[int]] = {}
    for i, ch in enumerate(reg.changes):
        starts.setdefault(ch.t0, []).append(i)
    jumps_at: dict[float, list[tuple[int, float]]] = {}
    for j in reg.jumps:
        jumps_at.setdefault(j.t, []).append((c.index[j.state], j.amount))
    active: set[int] = set()
    pending = sorted(starts)
    k_start = 0
    out = []
    for t0, t1 in zip(bounds[:-1], bounds[1:]):
        while k_start < len(pending) and pending[k_start] <= t0:
            active.update(starts[pending[k_start]])
            k_start += 1
        active = {i for i in active if t0 < reg.changes[i].t1}
        u = u0.copy()
        order = sorted(active)
        for mode in ("set", "mul", "add"):
            for i in order:
                ch = reg.changes[i]
                if ch.mode.split(":")[0] != mode:
                    continue
                k = c.input_index[ch.input]
                u[k] = ch.value if mode == "set" else u[k] * ch.value if mode == "mul" else u[k] + ch.value
        out.append(Segment(t0, t1, u, jumps_at.get(t0, [])))
    return out


MAX_OUTPUT_POINTS = 100_000  # per arm: ~50 MB of series

# Bounded work: a run is cut into segments at every dose and infusion start or stop (~3 ms each on one core).
MAX_SEGMENTS = 60_000  # all arms of a run together: about three minutes
MAX_ARMS = 12
LONG_RUN_SEGMENTS = 2_000  # from here a run takes several seconds: the CLI shows its progress


def segment_count(reg: Regimen) -> int:
    """How many pieces the run is integrated in (the measure of its work), without building them."""
    points = {0.0, reg.duration}
    for ch in reg.changes:
        points.update((ch.t0, ch.t1))
    points.update(j.t for j in reg.jumps)
    return max(1, sum(1 for t in points if 0 <= t <= reg.duration) - 1)


def _check_work(regs: list[Regimen]) -> int:
    if len(regs) > MAX_ARMS:
        raise InputError("arms", f"{len(regs)} arms", f"at most {MAX_ARMS} arms in one run")
    total = sum(segment_count(r) for r in regs)
    if total > MAX_SEGMENTS:
        raise InputError(
            "interventions",
            f"{total} dose and infusion events" + (f" over {len(regs)} arms" if len(regs) > 1 else ""),
            f"at most {MAX_SEGMENTS} in one run (about three minutes); give a long regimen as a history (it runs as "
            "its time average there), shorten the run, or compare fewer arms",
        )
    return total


def _run(c: Compiled, p: np.ndarray, reg: Regimen, y0: np.ndarray, t: np.ndarray, engine=integrate, progress=None):
    u0 = baseline_inputs(c, reg)
    if progress is not None and engine is integrate:
        return engine(c, p, y0, segments(c, reg, u0), t, progress=progress)
    return engine(c, p, y0, segments(c, reg, u0), t)


def _run_or_say(c, p, reg, y0, t, engine, progress, name: str):
    """The run, or the library's one-line input error when the solver cannot follow the scenario (it says when)."""
    from .engine.scipy_engine import IntegrationError

    try:
        return _run(c, p, reg, y0, t, engine, progress)
    except IntegrationError as exc:
        raise InputError("scenario", name, "", f"cannot be simulated: {exc}") from exc


ENGINES = ("scipy", "roadrunner")


def _engine(engine):
    """The integrator for ``engine``: "scipy" (default, odeint), "roadrunner" (libroadrunner on the model's SBML,
    ``pip install "lytes[sbml]"``), or a function with the signature of ``scipy_engine.integrate``."""
    if callable(engine):
        return engine
    if engine == "scipy":
        return integrate
    if engine == "roadrunner":
        from .engine.roadrunner_engine import integrate as roadrunner_integrate

        return roadrunner_integrate
    raise InputError("engine", engine, " or ".join(ENGINES))


def _context(sc, reg: Regimen) -> str:
    """The patient in a few words, for a refusal: eGFR, conditions, medications."""
    words = [f"eGFR {reg.patient.egfr_value:.0f}"]
    words += [c if isinstance(c, str) else str(c.get("condition", "")) for c in sc.patient.conditions]
    words += [f"on {m.drug}" for m in sc.medications]
    return ", ".join(words)


def _chronic_inputs(c: Compiled, sc, reg: Regimen) -> np.ndarray:
    """Baseline inputs; with labs, plus the scenario's medications at their dose-averaged rates (the labs were
    drawn on them, so the steady state the labs describe includes them)."""
    u = baseline_inputs(c, reg)
    if sc.patient.labs and sc.medications:
        from .scenario.regimen import medication_rates

        for name, rate in medication_rates(sc.medications, "medications").items():
            u[c.input_index[name]] += rate
    return u


def _lead_in(sc, reg: Regimen) -> Regimen:
    """Labs drawn on medications: the weeks before t = 0 on the medications' real doses, so the patient starts in
    their periodic steady state (as after a history) and an arm with nothing added stays flat."""
    from .scenario.regimen import HISTORY_DOSES_H, medication_doses

    lead = Regimen(f"{sc.name} (lead-in)", reg.patient, HISTORY_DOSES_H, base=dict(reg.base))
    lead.jumps = medication_doses(sc.medications, "medications", 0.0, HISTORY_DOSES_H)
    return lead


ECF_FLOOR = 0.6  # of the state a history starts from: a patient who loses 40 % of their ECF volume is in shock


def _run_before(c: Compiled, p: np.ndarray, pre: Regimen, y: np.ndarray) -> np.ndarray:
    """Run a history (or lead-in) from ``y``; its end is the state at t = 0, running totals restarted. A history
    the patient would not live through is refused in one line (the solver failing, or the ECF volume draining)."""
    from .engine.scipy_engine import IntegrationError

    days = f"{pre.duration / 24:g} days"
    try:
        Y, _ = _run(c, p, pre, y, np.array([0.0, pre.duration]))
    except IntegrationError as exc:
        raise InputError(
            "history",
            days,
            "",
            "cannot be lived through: it drives the patient beyond the states the model can follow (losses beyond "
            "intake for months, or doses far outside practice); shorten it, or lessen the losses or doses",
        ) from exc
    volume = [float(state[c.index["V_ecf"]]) for state in (y, Y[:, -1])]
    if volume[1] < ECF_FLOOR * volume[0]:
        raise InputError(
            "history",
            days,
            "",
            f"cannot be lived through: the ECF volume drains from {volume[0]:.1f} to {volume[1]:.1f} L by its end "
            "(Na losses beyond intake and the kidney's floor); shorten it, give more Na, or lessen the losses",
        )
    y = Y[:, -1].copy()
    for i, role in enumerate(c.layout.state_roles):
        if role in ACCUMULATORS:
            y[i] = 0.0  # running totals restart at t = 0
    return y


def _with_hooks(c: Compiled, reg: Regimen, fitted, initial: bool) -> None:
    """Put the labs' assumptions into a regimen's inputs (the sources that stop at t = 0 only if ``initial``)."""
    from .scenario.labs import INITIAL_ONLY

    u = baseline_inputs(c, reg)
    carried = fitted.carry(u)
    for name, k in c.input_index.items():
        if carried[k] != u[k] and (initial or name not in INITIAL_ONLY):
            reg.base[name] = float(carried[k])


def _serum(c: Compiled, p: np.ndarray, y: np.ndarray, u: np.ndarray) -> dict[str, float]:
    from .scenario.labs import SERIES

    a = dict(zip(c.layout.outputs, c.algebraic(y[:, None], p, u[:, None])))
    return {ion: float(a[name][0]) for ion, name in SERIES.items()}


LABS_MATCH = 1e-3  # relative: labs are met at t = 0 to 0.1 % (after a history or the medications' lead-in)
LABS_REFUSE = 0.02  # relative: beyond 2 % the labs are refused rather than started from a misfit


def _next_aim(aim: dict, serum: dict, targets: dict, last: tuple | None) -> dict:
    """The next aim for each lab: a secant step in log space on how t = 0 follows the aim (a plain correction the
    first time)."""
    out = {}
    for ion, target in targets.items():
        slope = 1.0
        if last is not None:
            d_aim = np.log(aim[ion] / last[0][ion])
            d_serum = np.log(serum[ion] / last[1][ion])
            if abs(d_aim) > 1e-12 and 0.1 < d_serum / d_aim < 10:
                slope = d_serum / d_aim
        step = float(np.clip(np.log(target / serum[ion]) / slope, -0.2, 0.2))  # at most ~20 % an iteration
        out[ion] = aim[ion] * np.exp(step)
    return out


# serum values (mmol/L) beyond which a computed chronic state is no living patient's (wider than the labs' range:
# a chronic state the scenario's conditions create may be extreme, but not beyond life)
CHRONIC_RANGE = {
    "K": (1.0, 10.0),
    "Mg": (0.05, 10.0),
    "Ca": (0.75, 4.0),
}  # total Ca 4: ionized ~2, beyond a living chronic state


def _check_living(sc, reg: Regimen, serum: dict[str, float]) -> None:
    """The chronic state on the scenario's own diet and conditions must be one a living patient can have (a diet
    without K or Mg has none: it is a change, given as a diet event or in a history)."""
    for ion, value in serum.items():
        low, high = CHRONIC_RANGE[ion]
        if not low <= value <= high:
            raise _not_chronic(sc, reg, f"their {ion} would settle at {value:.2g} mmol/L, which no living patient has")


SCANT_DIET = {"K": 10.0, "Mg": 1.0, "Na": 10.0, "Ca": 10.0}  # mmol/day: below these a diet is a change, not a state


def _not_chronic(sc, reg: Regimen, why: str) -> InputError:
    """The scenario's own diet and conditions cannot be the patient's chronic state: say which, and what to do."""
    scant = [ion for ion, least in SCANT_DIET.items() if reg.base.get(f"diet_{ion}", least) * 24 < least]
    if scant:
        ion = scant[0]
        field, value = f"diet.{ion}", f"{reg.base[f'diet_{ion}'] * 24:.3g} mmol/day"
        fix = "start them on a usual diet and give this one as a diet event (interventions) or in a history"
    else:
        field, value = "patient", _context(sc, reg)
        fix = "give the conditions or medications as a history, or the measured labs as patient.labs"
    return InputError(field, value, "", f"cannot be the patient's chronic state: {why}; {fix}")


def _initial_state(c: Compiled, p: np.ndarray, sc, reg: Regimen) -> np.ndarray:
    """The state at t = 0, and - with labs - the assumptions that hold them in ``reg.base`` and ``reg.notes``.

    Without labs: the steady state on the scenario's diet and the patient's conditions, then the history run from
    it. With labs: the chronic state with those labs; when a history or the medications' doses come before t = 0,
    the labs are aimed at so that they hold at t = 0 (the aim corrected by what the history or the dosing cycle
    moves), and checked there.
    """
    from .scenario.regimen import compile_history

    pre = compile_history(sc) if sc.history is not None else None
    if not sc.patient.labs:
        u = _chronic_inputs(c, sc, reg)
        try:
            y = steady.solve(c, p, u)
        except steady.SteadyStateError:
            raise _not_chronic(sc, reg, "the patient has no steady state on it") from None
        _check_living(sc, reg, _serum(c, p, y, u))
        return y if pre is None else _run_before(c, p, pre, y)

    from .scenario.labs import fit, parse_labs

    targets = parse_labs(sc.patient.labs)
    if pre is None and sc.medications:
        pre = _lead_in(sc, reg)
    u_chronic = _chronic_inputs(c, sc, reg)
    what = "history" if sc.history is not None else "dosing of the medications"
    aim, last = dict(targets), None
    for attempt in range(10):
        try:
            fitted = fit(c, p, u_chronic, aim, steady.solve, _context(sc, reg), shown=targets)
        except InputError as exc:
            if attempt == 0:
                raise
            raise InputError(
                exc.field, exc.value, "", f"cannot be held at t = 0 after the scenario's {what}: {exc.reason or exc}"
            ) from None
        y = fitted.state_
        if pre is None:
            break
        run = Regimen(pre.name, pre.patient, pre.duration, dict(pre.base), list(pre.changes), list(pre.jumps))
        _with_hooks(c, run, fitted, initial=True)
        y = _run_before(c, p, run, y)
        serum = _serum(c, p, y, baseline_inputs(c, run))
        if all(abs(serum[ion] / targets[ion] - 1) < LABS_MATCH for ion in targets):
            break
        aim, last = _next_aim(aim, serum, targets, last), (aim, serum)
    _with_hooks(c, reg, fitted, initial=False)
    reg.notes += fitted.notes_
    if pre is not None:
        serum = _serum(c, p, y, baseline_inputs(c, reg))
        for ion, target in targets.items():
            if abs(serum[ion] / target - 1) > LABS_REFUSE:
                raise InputError(
                    f"patient.labs.{ion}",
                    f"{target:.3g} mmol/L",
                    "",
                    f"cannot be held at t = 0 after the scenario's {what} (the closest start has {ion} "
                    f"{serum[ion]:.3g} mmol/L); what would reach it: the labs without the {what}, or their causes named in "
                    "the scenario",
                )
        if sc.history is None:
            reg.notes.append(
                "labs matched in the medications' periodic steady state, just before the dose due at t = 0 "
                f"(the last {pre.duration / 24:.0f} days before t = 0 run the real doses)"
            )
    _check_cells(c, p, y, baseline_inputs(c, reg), targets, reg)
    return y


# mmol/L of cell K: K-depleted human muscle keeps ~100-120 (Clausen T. Physiol Rev 1998;78:61); a fitted state below
# CELL_K_NOTE is said in the run's notes (lytes' cells lose more K at low serum K than muscle biopsies show), and one
# below CELL_K_FLOOR (over half the body's K gone) is refused: no living patient is known there
CELL_K_NOTE = 100.0
CELL_K_FLOOR = 45.0


def _check_cells(c: Compiled, p: np.ndarray, y: np.ndarray, u: np.ndarray, targets: dict[str, float], reg) -> None:
    """The state the labs were fitted to must be one a living patient can have in their cells too."""
    a = dict(zip(c.layout.outputs, c.algebraic(y[:, None], p, u[:, None])))
    cell_k = float(a["K_i"][0])
    if CELL_K_FLOOR <= cell_k < CELL_K_NOTE:
        reg.notes.append(
            f"matching these labs leaves cell K at {cell_k:.0f} mmol/L, below the ~100-120 of K-depleted human muscle "
            "(Clausen 1998): lytes' cells lose more K at low serum K than biopsies show, so read the depth of the "
            "deficit and the K needed to refill it as upper estimates"
        )
    if cell_k < CELL_K_FLOOR:
        shown = ", ".join(f"{ion} {value:.3g}" for ion, value in targets.items())
        raise InputError(
            "patient.labs",
            f"{shown} mmol/L",
            "",
            f"cannot be started faithfully: matching them would leave cell K at {cell_k:.0f} mmol/L (normal ~135; "
            "K-depleted muscle keeps ~100-120), over half the body's K gone, beyond what lytes represents; what would "
            "reach it: the labs after partial repletion, or the history that led to them",
        )


def reading_context(sc, reg: Regimen, arm: str | None = None) -> dict:
    """What the clinical reading of a run needs beyond its series: the canonical names of the medications and the
    products and drugs given (shared and the arm's; not a history's, which stopped at t = 0), the patient's
    conditions and baseline eGFR (a condition that changes the GFR over the run, such as aki, is not followed)."""
    from .scenario.vocabulary import lookup

    spec = sc.arms[arm] if arm is not None else None
    names = [m.drug for m in sc.medications] + [iv.give for iv in sc.interventions if iv.give]
    if spec is not None:
        names += [m.drug for m in spec.medications] + [iv.give for iv in spec.interventions if iv.give]
    meds = [found[1] for found in map(lookup, names) if found is not None]  # compile_regimen refused unknown ones
    return {
        "meds": list(dict.fromkeys(meds)),
        "conditions": list(reg.patient.conditions),
        "egfr": round(reg.patient.egfr_value, 1),
    }


STANDING_HISTORY = "21 d"


def _with_standing_history(sc):
    """A standing dialysis prescription with no history: three weeks of it (with the oral medications) run before
    t = 0, so pre- and post-dialysis K start in the schedule's weekly rhythm rather than at its time average. A history
    given without it gets it too (an anuric patient was on dialysis then)."""
    from .scenario.dialysis import standing_in
    from .scenario.schema import HistorySpec

    if not standing_in(sc.interventions):
        return sc
    standing = [iv for iv in sc.interventions if standing_in([iv])]
    if sc.history is not None:  # a history without the prescription: the patient was on it then too
        if standing_in(sc.history.interventions):
            return sc
        history = sc.history.model_copy(update={"interventions": list(sc.history.interventions) + standing})
        return sc.model_copy(update={"history": history})
    oral = all((m.route or "oral").lower() in ("oral", "po") for m in sc.medications)
    history = HistorySpec(
        duration=STANDING_HISTORY,
        diet=sc.diet,
        interventions=standing,
        medications=list(sc.medications) if oral else [],
    )
    return sc.model_copy(update={"history": history})


def simulate(
    scenario,
    every: float | str | None = None,
    parameters: dict[str, float] | None = None,
    engine="scipy",
    progress=None,
) -> Result | Comparison:
    """Run a scenario; a scenario with ``arms`` gives a Comparison of one Result per arm.

    ``every``: the output interval, in hours (``0.5``) or with its unit (``"30 min"``, ``"1 h"``); by default 15 min
    (longer for runs over 14 days: at most ~4000 points).

    ``parameters`` overrides values of the parameter table (in its units), e.g. for sensitivity analysis.

    ``engine`` integrates the run from t = 0: "scipy" (default) or "roadrunner" (``pip install "lytes[sbml]"``);
    the initial state (steady state, labs, history) is lytes' own either way.

    ``progress(done, total)`` is called as the run advances, in segments (pieces between dose and infusion events,
    all arms together); a run of more than ``MAX_SEGMENTS`` or ``MAX_ARMS`` arms is refused before it starts.
    """
    every = _every_hours(every)
    run_with = _engine(engine)
    given = load(scenario)
    sc = _with_standing_history(given)
    reg = compile_regimen(sc)
    auto_history = sc is not given
    if auto_history:
        reg.notes = [n for n in reg.notes if "as its time average" not in n]
        reg.notes.append(
            f"the standing dialysis prescription ran for {STANDING_HISTORY} before t = 0 (no history was given), so the "
            "patient starts in its weekly rhythm"
            if given.history is None
            else "the standing dialysis prescription also ran through the history (it was not in it)"
        )
    arm_regs = {arm: compile_regimen(sc, arm) for arm in sc.arms or {}}
    total = _check_work(list(arm_regs.values()) or [reg])
    t = _grid(reg.duration, every)  # checked before any work
    history = [compile_history(sc)] if sc.history is not None else []
    c = compiled(drug_classes=drug_classes(reg, *arm_regs.values(), *history))
    if parameters:
        from .model.parameters import table

        unknown = set(parameters) - set(table())
        if unknown:
            raise InputError("parameters", sorted(unknown)[0], "names from the parameter table (lytes params)")
    p = parameter_vector(reg.patient.model_parameters(), c, parameters)
    base_before = dict(reg.base)
    y0 = _initial_state(c, p, sc, reg)
    hooks = {k: v for k, v in reg.base.items() if base_before.get(k) != v}  # the labs' assumptions
    done = [0]

    def advance(k: int, n: int) -> None:  # segments done in this arm -> done in the run
        progress(done[0] + k, total)

    if not sc.arms:
        Y, U = _run_or_say(c, p, reg, y0, t, run_with, advance if progress else None, sc.name)
        out = build_result(sc.name, c, p, t, Y, U, notes=reg.notes, context=reading_context(sc, reg))
        out.scenario = scenario_data(given)  # the scenario as run: in the JSON, the CSV sidecar and to_xarray
        return out
    results = {}
    for arm, arm_reg in arm_regs.items():
        arm_reg.base.update(hooks)
        notes = reg.notes + [n for n in arm_reg.notes if not (auto_history and "as its time average" in n)]
        arm_reg.notes = list(dict.fromkeys(notes))  # the shared interventions' notes once
        Y, U = _run_or_say(c, p, arm_reg, y0, t, run_with, advance if progress else None, f"{sc.name} [{arm}]")
        done[0] += segment_count(arm_reg)
        results[arm] = build_result(
            f"{sc.name} [{arm}]", c, p, t, Y, U, notes=arm_reg.notes, context=reading_context(sc, arm_reg, arm)
        )
    out = Comparison(sc.name, results, {arm: spec.description for arm, spec in sc.arms.items()})
    out.scenario = scenario_data(given)
    return out

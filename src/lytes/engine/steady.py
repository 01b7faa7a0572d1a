"""Steady states: the healthy initial state of a patient is computed, not typed in.

Newton's method on every state that is not a running total (intake, urine, faeces), with the model's linear
invariants (cell cation content) replacing one equation each, starting from the reference state scaled to the
patient. Intake then equals output for every ion.

Newton is damped and keeps every state non-negative (a step may shrink a state by at most 90 %), and evaluations
that leave the model's domain (a negative base of a fractional power, a division by zero) count as failed trials,
never as warnings. When Newton cannot reach the steady state of inputs ``u`` directly, and the steady state of
nearby inputs is known, the inputs are moved there step by step (continuation); failing that, the patient is run on
``u`` for decades and Newton finishes from there.
"""

from __future__ import annotations

import warnings

import numpy as np

from .codegen import Compiled

ACCUMULATOR_ROLES = ("intake", "urine", "faeces", "other")
TOLERANCE = 1e-11  # scaled residual: relative rate of change per hour
ACCEPT = 1e-6  # a residual Newton stalls at above TOLERANCE but still far below any effect (rounding)


class SteadyStateError(RuntimeError):
    """No steady state for these inputs (the patient would not settle, or the solver could not follow)."""


def reference_guess(c: Compiled, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Reference concentrations and pool sizes scaled to the patient; gut lumens empty (Newton fills them)."""
    P = dict(zip(c.layout.params, p))
    v_e, v_i = P["V_ecf_ref"], P["V_icf"]
    guess = {
        "K_ecf": P["K_o_ref"] * v_e * (1 - P["muscle_isf_share"]),
        "K_isf": P["K_o_ref"] * v_e * P["muscle_isf_share"],
        "K_icf": P["K_i_ref"] * v_i,
        "Na_ecf": P["Na_o_ref"] * v_e,
        "Na_icf": P["Na_i_ref"] * v_i,
        "Cl_icf": P["Cl_i_ref"] * v_i,
        "Mg_ecf": P["Mg_tot_ref"] * v_e,
        "Mg_cell": P["Mg_cell_slow_ref"],
        "Mg_cell_fast": P["Mg_cell_fast_ref"],
        "Mg_bone_fast": P["Mg_bone_fast_ref"],
        "Mg_bone_slow": P["Mg_bone_slow_ref"],
        "Ca_ecf": P["Ca_tot_ref"] * v_e,
        "Ca_bone_fast": P["Ca_bone_fast_ref"],
        "Ca_bone_slow": P["Ca_bone_slow_ref"],
        "V_ecf": v_e,
        "ALD": P["ALD_ref"],
        "PTH": P["PTH_ref"],
        "N_pump": 1.0,
        "cell_mass": 1.0,
        "TRPM6": 1.0,
        "gfr_factor": 1.0,
        "K_renal_setpoint": P["K_o_ref"],
        "K_gut_signal": 1.0,
        "K_gut": 1.0,
        "Na_gut": 1.0,
        "Mg_gut": 1.0,
        "Ca_gut": 10.0,
        **{f"{ion}_stomach": 1.0 for ion in ("K", "Na", "Mg", "Ca")},
    }
    y = np.zeros(c.n)
    for name, value in guess.items():
        if name in c.index:
            y[c.index[name]] = value
    return y


def solve(
    c: Compiled,
    p: np.ndarray,
    u: np.ndarray,
    y0: np.ndarray | None = None,
    u0: np.ndarray | None = None,
    settle: bool = True,
) -> np.ndarray:
    """Return the steady state for constant inputs ``u``.

    Parameters
    ----------
    y0
        A starting guess (the reference state scaled to the patient if None).
    u0
        Inputs whose steady state ``y0`` is: if Newton cannot go from ``y0`` to the steady state of ``u`` at once,
        the inputs are moved from ``u0`` to ``u`` in steps, each starting from the last steady state.
    settle
        Whether, when all else fails, to run the patient on ``u`` for decades and try Newton again (slow; a search
        that can step back, such as a fit, does without).

    Raises
    ------
    SteadyStateError
        If no steady state is found (also after 40 years on the inputs).
    """
    y = reference_guess(c, p, u) if y0 is None else np.asarray(y0, dtype=float).copy()
    found, _ = _newton(c, p, u, y)
    if found is not None:
        return found
    if u0 is not None and y0 is not None:
        found, y = _continue(c, p, np.asarray(u0, dtype=float), u, y)
        if found is not None:
            return found
    if not settle:
        raise SteadyStateError("no steady state found for these inputs by continuation")
    return _settle(c, p, u, y)


def _continue(c: Compiled, p: np.ndarray, u0: np.ndarray, u1: np.ndarray, y: np.ndarray):
    """Walk the inputs from u0 (steady state ``y``) to u1 in adaptive steps: (the steady state of u1 or None, the
    last steady state reached on the way)."""
    # factors that change by orders of magnitude move geometrically, amounts linearly
    geometric = (u0 > 0) & (u1 > 0)
    log0 = np.log(np.where(geometric, u0, 1.0))
    log1 = np.log(np.where(geometric, u1, 1.0))

    def inputs(lam: float) -> np.ndarray:
        if lam >= 1.0:
            return u1
        return np.where(geometric, np.exp(log0 + lam * (log1 - log0)), u0 + lam * (u1 - u0))

    lam, step = 0.0, 0.25
    while lam < 1.0:
        trial = min(1.0, lam + step)
        found, _ = _newton(c, p, inputs(trial), y, max_iter=30)
        if found is not None:
            lam, y = trial, found
            step = min(0.5, 2 * step)
        else:
            step /= 4
            if step < 1e-3:
                return None, y
    return y, y


def _settle(c: Compiled, p: np.ndarray, u: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Run the patient on ``u`` (the slowest pool, bone, has a half-time of ~2 years) and let Newton finish."""
    from .scipy_engine import IntegrationError, Segment, integrate

    year = 365.25 * 24.0
    best_norm = np.inf
    for horizon in (2 * year, 10 * year, 28 * year):
        try:
            Y, _ = integrate(c, p, y, [Segment(0.0, horizon, u)], np.array([0.0, horizon]), check_stores=False)
        except IntegrationError:
            break
        y = Y[:, -1].copy()
        free = _free(c)
        y[free] = np.maximum(y[free], 0.0)
        found, _ = _newton(c, p, u, y)
        if found is not None:
            return found
        best_norm = min(best_norm, residual_norm(c, p, u, y))
    raise SteadyStateError(
        "no steady state for these inputs: the patient does not settle"
        + (
            f" (after 40 years a state still changes by {best_norm:.1e} of itself per hour)"
            if np.isfinite(best_norm)
            else ""
        )
    )


def _free(c: Compiled) -> np.ndarray:
    return np.array([i for i, r in enumerate(c.layout.state_roles) if r not in ACCUMULATOR_ROLES])


def _safe(f, *args):
    """Call a generated function with no warnings; None if the result is complex or not finite."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            out = np.asarray(f(*args))
        except (ArithmeticError, ValueError, TypeError):
            return None
    if np.iscomplexobj(out) or not np.all(np.isfinite(out)):
        return None
    return out


def residual_norm(c: Compiled, p: np.ndarray, u: np.ndarray, y: np.ndarray) -> float:
    """Largest relative rate of change (per hour) of a state that is not a running total."""
    free = _free(c)
    f = _safe(c.rhs, y, 0.0, _arg(c, p), _arg(c, u))
    if f is None:
        return np.inf
    return float(np.linalg.norm(f[free] / np.maximum(np.abs(y[free]), 1e-3), np.inf))


def _arg(c: Compiled, v: np.ndarray):
    return np.asarray(v, dtype=float) if c.arrays else [float(x) for x in v]


def _newton(c: Compiled, p: np.ndarray, u: np.ndarray, y: np.ndarray, max_iter: int = 100):
    """Damped Newton that keeps states non-negative: (steady state or None, best state seen)."""
    y = y.copy()
    free = _free(c)
    scale = np.maximum(np.abs(y[free]), 1e-3)
    invariants = c_invariants(c, p)
    replaced = {c.index[row]: (w, value) for row, (w, value) in invariants.items()}
    pos = {g: k for k, g in enumerate(free)}
    p_arg, u_arg = _arg(c, p), _arg(c, u)

    def residual(yy):
        f = _safe(c.rhs, yy, 0.0, p_arg, u_arg)
        if f is None:
            return None
        f = f[free] / scale
        for g, (w, value) in replaced.items():
            f[pos[g]] = (w @ yy - value) / scale[pos[g]]
        return f

    def jacobian(yy):
        J = _safe(c.jac, yy, 0.0, p_arg, u_arg)
        if J is None:
            return None
        J = J[np.ix_(free, free)] * scale[None, :] / scale[:, None]
        for g, (w, _) in replaced.items():
            J[pos[g], :] = w[free] * scale / scale[pos[g]]
        return J

    f = residual(y)
    if f is None:
        return None, y
    norm = float(np.linalg.norm(f, np.inf))
    best, best_norm, since_best = y.copy(), norm, 0
    for _ in range(max_iter):
        if norm < TOLERANCE:
            return y, y
        J = jacobian(y)
        if J is None:
            break
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                step = np.linalg.solve(J, -f) * scale
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(J, -f, rcond=None)[0] * scale
        if not np.all(np.isfinite(step)):
            break
        lam, accepted = 1.0, None
        while lam > 1e-4:
            trial = y.copy()
            # positivity: no state falls by more than 90 % of itself in one step
            trial[free] = np.maximum(y[free] + lam * step, 0.1 * y[free])
            f_trial = residual(trial)
            if f_trial is not None:
                trial_norm = float(np.linalg.norm(f_trial, np.inf))
                # non-monotone: a Newton step may raise the residual for a while (the steep PTH-Ca sigmoid does)
                if trial_norm < max(10 * norm, 1e-6):
                    accepted = trial, f_trial, trial_norm
                    break
            lam /= 2
        if accepted is None:
            break
        y, f, norm = accepted
        if norm < best_norm:
            best, best_norm, since_best = y.copy(), norm, 0
        else:
            since_best += 1
            if since_best > 12:
                break
    if norm < TOLERANCE:
        return y, y
    if best_norm < ACCEPT:  # converged to rounding: relative rates of change below a millionth per hour
        return best, best
    return None, best


def c_invariants(c: Compiled, p: np.ndarray) -> dict[str, tuple[np.ndarray, float]]:
    """Linear invariants keyed by the state whose equation they replace: (weights over all states, value)."""
    out = {}
    for (row, names), (weights, value) in zip(c.layout.conservation, c.conserved(p)):
        w = np.zeros(c.n)
        for name, weight in zip(names, weights):
            w[c.index[name]] = weight
        out[row] = (w, float(value))
    return out

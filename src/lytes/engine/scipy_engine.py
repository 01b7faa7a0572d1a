"""The scipy engine: LSODA (odeint) with the generated right-hand side and Jacobian, integrated piece by piece
between input discontinuities so every dose start and stop is hit exactly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import odeint

from .codegen import Compiled


@dataclass
class Segment:
    """Constant inputs ``u`` on [t0, t1); ``jumps`` (state index, amount) are applied at t0 (oral doses)."""

    t0: float
    t1: float
    u: np.ndarray
    jumps: list[tuple[int, float]] = field(default_factory=list)


class IntegrationError(RuntimeError):
    pass


def integrate(
    c: Compiled,
    p: np.ndarray,
    y0: np.ndarray,
    segments: list[Segment],
    t_eval: np.ndarray,
    rtol: float = 1e-6,
    atol_scale: float = 1e-5,
    check_stores: bool = True,
    progress=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate through the segments; return (Y states x times, U inputs x times) at ``t_eval``.

    A time equal to a dose's time reports the state just before the dose (a lab drawn before it is given), so the
    first output is the untouched initial state and mass balance counts every dose. The solver's warnings never
    reach the user: a failure is raised as an :class:`IntegrationError` that says what happened.
    """
    y = y0.astype(float).copy()
    Y = np.empty((c.n, len(t_eval)))
    U = np.empty((len(c.layout.inputs), len(t_eval)))
    atol = np.maximum(np.abs(y0), 1.0) * atol_scale
    filled = 0
    p_arg = np.asarray(p, dtype=float) if c.arrays else [float(v) for v in p]  # lists are fastest in CPython
    for k, seg in enumerate(segments):
        if progress is not None and k % 200 == 0:
            progress(k, len(segments))
        before = y.copy()
        for index, amount in seg.jumps:
            y[index] += amount
        last = k == len(segments) - 1
        mask = (t_eval >= seg.t0) & ((t_eval <= seg.t1) if last else (t_eval < seg.t1))
        inside = t_eval[mask]
        eps = 1e-9 * max(1.0, seg.t1)
        if seg.t1 - seg.t0 > eps:  # a piece shorter than a hair (a dose at 1e-200 h) is an instant: its jumps only
            # output times within a hair of the segment's ends are taken at the ends (odeint needs distinct times)
            interior = inside[(inside > seg.t0 + eps) & (inside < seg.t1 - eps)]
            times = np.concatenate(([seg.t0], interior, [seg.t1]))
            args = (p_arg, seg.u if c.arrays else seg.u.tolist())
            sol, info = _odeint(c, y, times, args, rtol, atol, seg.t1)
            if not _ok(sol, info):  # continuation: the same piece again in windows of a day, each densely sampled
                sol = _windows(c, y, times, args, rtol, atol)
            if sol is None:
                raise IntegrationError(
                    f"the simulated patient left the range the model can follow between t = {seg.t0:.4g} h and "
                    f"{seg.t1:.4g} h; the regimen is far outside clinical practice (lower the doses or rates given by then)"
                )
            states_out = None
            if len(inside):  # each output time: the state before the jumps, at the end, or odeint's interior row
                start, end = inside <= seg.t0 + eps, inside >= seg.t1 - eps
                middle = ~(start | end)
                rows = np.empty((len(inside), c.n))
                rows[start] = before
                rows[end] = sol[-1]
                rows[middle] = sol[1 + np.searchsorted(interior, inside[middle])]
                states_out = rows.T
            y = sol[-1].copy()
        else:
            states_out = np.repeat(before[:, None], len(inside), axis=1) if len(inside) else None
        if states_out is not None:
            n = states_out.shape[1]
            Y[:, filled : filled + n] = states_out
            U[:, filled : filled + n] = seg.u[:, None]
            filled += n
    if progress is not None:
        progress(len(segments), len(segments))
    if filled != len(t_eval):
        raise IntegrationError("output times outside the simulated interval")
    if not np.all(np.isfinite(Y)):
        raise IntegrationError(
            "the simulation produced non-finite values; the regimen is far outside clinical practice"
        )
    amounts = [i for i, r in enumerate(c.layout.state_roles) if r in ("body", "lumen", "control")]
    floor = -100 * atol[amounts]  # well beyond the solver's own tolerance
    if check_stores and np.any(Y[amounts].min(axis=1) < floor):
        raise IntegrationError(
            "a body store became negative; the regimen is far outside clinical practice (it removes more than the body holds: lower the removal - dialysis, binders, diuretics - or its duration)"
        )
    return Y, U


def _ok(sol, info) -> bool:
    return sol is not None and info.get("message") == "Integration successful." and bool(np.all(np.isfinite(sol)))


WINDOW_H = 24.0


def _windows(c: Compiled, y: np.ndarray, times: np.ndarray, args: tuple, rtol: float, atol: np.ndarray):
    """The states at ``times`` integrated window by window (a day each, sampled hourly), or None.

    LSODA left to choose its own steps over weeks can take one far too long, land where the model's smooth switches
    turn sharply, and stall there (seen on a 30-day history from a steady state: 50,000 steps at t = 207 h); restarted
    each day and asked for hourly states, it does not."""
    out = np.empty((len(times), len(y)))
    out[0] = y
    edges = np.unique(np.concatenate((np.arange(times[0], times[-1], WINDOW_H), [times[-1]])))
    current, k = y.copy(), 1
    for a, b in zip(edges[:-1], edges[1:]):
        wanted = times[(times > a) & (times <= b)]
        grid = np.unique(np.concatenate((np.linspace(a, b, 25), wanted)))
        sol, info = _odeint(c, current, grid, args, rtol, atol, b)
        if not _ok(sol, info):
            return None
        for t in wanted:
            out[k] = sol[int(np.searchsorted(grid, t))]
            k += 1
        current = sol[-1].copy()
    return out


def _odeint(c: Compiled, y: np.ndarray, times: np.ndarray, args: tuple, rtol: float, atol: np.ndarray, tcrit: float):
    """odeint with its warnings (ODEintWarning, RuntimeWarning from the generated code) kept off the terminal;
    (None, {}) when the right-hand side leaves the model's domain (a complex or non-finite value)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return odeint(
                c.rhs,
                y,
                times,
                args=args,
                Dfun=c.jac,
                rtol=rtol,
                atol=atol,
                tcrit=[tcrit],
                mxstep=50000,
                full_output=True,
            )
        except (ArithmeticError, ValueError, TypeError):  # TypeError: a complex value (power of a negative base)
            return None, {}

"""Steady states: the healthy initial state of a patient is computed, not typed in.

Newton's method on every state that is not a running total (intake, urine, faeces), with the model's linear
invariants (cell cation content) replacing one equation each, starting from the reference state scaled to the
patient. Intake then equals output for every ion.
"""

from __future__ import annotations

import numpy as np

from .codegen import Compiled

ACCUMULATOR_ROLES = ("intake", "urine", "faeces", "other")


def reference_guess(c: Compiled, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Reference concentrations and pool sizes scaled to the patient; gut lumens empty (Newton fills them)."""
    P = dict(zip(c.layout.params, p))
    v_e, v_i = P["V_ecf_ref"], P["V_icf"]
    guess = {
        "K_ecf": P["K_o_ref"] * v_e,
        "K_icf": P["K_i_ref"] * v_i,
        "Na_ecf": P["Na_o_ref"] * v_e,
        "Na_icf": P["Na_i_ref"] * v_i,
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
        y[c.index[name]] = value
    return y


def solve(c: Compiled, p: np.ndarray, u: np.ndarray, y0: np.ndarray | None = None) -> np.ndarray:
    """Return the steady state for constant inputs ``u``.

    Newton from the reference state first; if that fails, the patient is run on the same inputs for 20 years (the
    slowest pool, bone, has a half-time of ~2 years) and Newton finishes from there.
    """
    y = reference_guess(c, p, u) if y0 is None else y0.copy()
    try:
        return _newton(c, p, u, y)
    except RuntimeError:
        from .scipy_engine import Segment, integrate

        horizon = 20 * 365.25 * 24.0
        Y, _ = integrate(c, p, y, [Segment(0.0, horizon, u)], np.array([0.0, horizon]))
        return _newton(c, p, u, Y[:, -1])


def _newton(c: Compiled, p: np.ndarray, u: np.ndarray, y: np.ndarray) -> np.ndarray:
    y = y.copy()
    free = np.array([i for i, r in enumerate(c.layout.state_roles) if r not in ACCUMULATOR_ROLES])
    scale = np.maximum(np.abs(y[free]), 1e-3)
    invariants = c_invariants(c, p)
    replaced = {c.index[row]: (w, value) for row, (w, value) in invariants.items()}
    pos = {g: k for k, g in enumerate(free)}

    def residual(yy):
        f = c.rhs(yy, 0.0, p, u)[free] / scale
        for g, (w, value) in replaced.items():
            f[pos[g]] = (w @ yy - value) / scale[pos[g]]
        return f

    def jacobian(yy):
        J = c.jac(yy, 0.0, p, u)[np.ix_(free, free)] * scale[None, :] / scale[:, None]
        for g, (w, _) in replaced.items():
            J[pos[g], :] = w[free] * scale / scale[pos[g]]
        return J

    best, best_norm = y.copy(), np.inf
    for _ in range(100):
        f = residual(y)
        norm = np.linalg.norm(f, np.inf)
        if norm < best_norm:
            best, best_norm = y.copy(), norm
        if norm < 1e-11:
            return y
        step = np.linalg.solve(jacobian(y), -f) * scale
        lam = 1.0
        while lam > 1e-4:
            trial = y.copy()
            trial[free] += lam * step
            # non-monotone: a Newton step may raise the residual for a while (the steep PTH-Ca sigmoid does)
            if np.all(trial[free] >= 0):
                try:
                    trial_norm = np.linalg.norm(residual(trial), np.inf)
                except (ArithmeticError, ValueError):
                    trial_norm = np.inf
                if np.isfinite(trial_norm) and trial_norm < max(10 * norm, 1e-6):
                    break
            lam /= 2
        y = trial
    if best_norm < 1e-6:  # converged to rounding: relative rates of change below a millionth per hour
        return best
    raise RuntimeError(f"steady state not found (residual {best_norm:.2e})")


def c_invariants(c: Compiled, p: np.ndarray) -> dict[str, tuple[np.ndarray, float]]:
    """Linear invariants keyed by the state whose equation they replace: (weights over all states, value)."""
    out = {}
    for (row, names), (weights, value) in zip(c.layout.conservation, c.conserved(p)):
        w = np.zeros(c.n)
        for name, weight in zip(names, weights):
            w[c.index[name]] = weight
        out[row] = (w, float(value))
    return out

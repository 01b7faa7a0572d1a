"""Start from measured labs: find the chronic steady state whose serum K, Mg and Ca match them.

lytes does not know why a patient's K is 2.9; it estimates body stores by assuming a chronic, unexplained disorder
of balance that the scenario did not name - renal K wasting or retention (K), gut Mg absorption (Mg), gut Ca
absorption (Ca) - and finds the factor on each that puts the steady state at the measured value. The factors
persist through the run (the disorder goes on) and the result's notes say what was assumed.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..units import split
from .products import ION_MOLAR_MASS, ION_VALENCE

# what a living patient can have (mmol/L), and the series each lab is matched to
LIVING_RANGE = {"K": (1.0, 10.0), "Mg": (0.1, 10.0), "Ca": (1.0, 5.0)}
SERIES = {"K": "K_o", "Mg": "Mg_tot", "Ca": "Ca_tot"}
HOOK = {"K": "K_secretion_factor", "Mg": "Mg_absorption_factor", "Ca": "Ca_absorption_factor"}
# raising the hook lowers (K) or raises (Mg, Ca) the serum level
SIGN = {"K": -1.0, "Mg": 1.0, "Ca": 1.0}
ALIASES = {"k": "K", "potassium": "K", "mg": "Mg", "magnesium": "Mg", "ca": "Ca", "calcium": "Ca"}


def parse_labs(labs: dict[str, str], where: str = "patient.labs") -> dict[str, float]:
    """Labs in mmol/L (total Mg and Ca): accepts mmol/L, mEq/L and mg/dL."""
    out = {}
    for name, text in labs.items():
        ion = ALIASES.get(str(name).lower())
        if ion is None:
            raise InputError(f"{where}.{name}", text, "labs among K, Mg, Ca (Na is held at its set point)")
        number, unit = split(text, f"{where}.{name}")
        u = unit.replace(" ", "").lower()
        if u == "mmol/l":
            value = number
        elif u == "meq/l":
            value = number / ION_VALENCE[ion]
        elif u == "mg/dl":
            value = number * 10 / ION_MOLAR_MASS[ion]
        else:
            raise InputError(f"{where}.{name}", text, f"{ion} in mmol/L, mEq/L or mg/dL")
        low, high = LIVING_RANGE[ion]
        if not low <= value <= high:
            raise InputError(f"{where}.{name}", text, f"a {ion} a living patient can have ({low:g}-{high:g} mmol/L)")
        out[ion] = value
    return out


def _hooks(c, p, u0, targets, solve) -> dict[str, tuple[str, str, tuple[float, float]]]:
    """Per ion: (input, 'scale' or 'add', search interval). A Mg above the normal range is an ongoing Mg gain (a
    source: infusion, laxative) added at a rate, not a change of gut absorption, which cannot reach it."""
    hooks = {ion: (HOOK[ion], "scale", (-np.log(50), np.log(50))) for ion in targets}
    if targets.get("Mg", 0) > 1.0:
        hooks["Mg"] = ("iv_Mg", "add", (0.0, np.log(1 + 40 / 0.05)))
    return hooks


def fit(c, p, u0: np.ndarray, targets: dict[str, float], solve) -> tuple[dict[str, float], np.ndarray]:
    """Hook values whose steady state matches the targets, and that steady state.

    Each lab is matched in turn by bisection (K wasting also depends on Mg, so the round is repeated until all match
    to 0.1 %), continuing from the previous steady state.
    """
    from scipy.optimize import brentq

    ions = list(targets)
    hooks = _hooks(c, p, u0, targets, solve)
    index = {ion: c.input_index[hooks[ion][0]] for ion in ions}
    xs = {ion: 0.0 for ion in ions}
    last = [solve(c, p, u0)]

    def value(ion, x):
        k = index[ion]
        return u0[k] * np.exp(x) if hooks[ion][1] == "scale" else u0[k] + 0.05 * (np.exp(x) - 1)

    def steady_at(values):
        u = u0.copy()
        for ion, x in values.items():
            u[index[ion]] = value(ion, x)
        try:
            y = solve(c, p, u, last[0])
        except RuntimeError:
            y = solve(c, p, u)
        last[0] = y
        return u, y

    def level(ion, values):
        u, y = steady_at(values)
        a = dict(zip(c.layout.outputs, c.algebraic(y[:, None], p, u[:, None])))
        return a[SERIES[ion]][0]

    for _ in range(8):
        for ion in ions:
            sign = SIGN[ion] if hooks[ion][1] == "scale" else 1.0

            def gap(x, ion=ion, sign=sign):
                try:
                    return np.log(level(ion, {**xs, ion: x}) / targets[ion])
                except RuntimeError:  # no steady state this far out: beyond any target on that side
                    return sign * np.sign(x) * 10.0

            try:
                xs[ion] = brentq(gap, *hooks[ion][2], xtol=1e-6)
            except (ValueError, RuntimeError):
                raise InputError(
                    f"patient.labs.{ion}",
                    f"{targets[ion]:.3g} mmol/L",
                    "a value lytes can reach as a chronic steady state of this patient and diet",
                ) from None
        if all(abs(np.log(level(ion, xs) / targets[ion])) < 1e-3 for ion in ions):
            break
    u, y = steady_at(xs)
    return {hooks[ion][0]: float(value(ion, xs[ion])) for ion in ions}, y


def describe(factors: dict[str, float]) -> list[str]:
    words = {
        "K_secretion_factor": ("renal K secretion", "unexplained renal K wasting", "unexplained renal K retention"),
        "Mg_absorption_factor": ("gut Mg absorption", "unexplained Mg gain", "unexplained Mg malabsorption or loss"),
        "Ca_absorption_factor": ("gut Ca absorption", "unexplained Ca gain", "unexplained Ca malabsorption"),
    }
    notes = []
    for hook, f in factors.items():
        if hook == "iv_Mg":
            notes.append(
                f"initial state estimated from labs: an ongoing Mg gain of {f:.2f} mmol/h (the Mg source) "
                "held the patient there; it stops at t = 0"
            )
            continue
        what, up, down = words[hook]
        meaning = up if f > 1 else down
        notes.append(f"initial state estimated from labs: {what} x{f:.2f} ({meaning}), kept through the run")
    return notes

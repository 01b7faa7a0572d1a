"""Start from measured labs: find the chronic steady state whose serum K, Mg and Ca match them.

lytes does not know why a patient's K is 2.9; it estimates body stores by assuming a chronic, unexplained disorder
of balance that the scenario did not name and finds the size of it that puts the steady state at the measured
value. The disorder persists through the run (it goes on) and the result's notes say what was assumed.

What the model itself carries comes first: a low Mg is fitted before K and Ca, so a low K that the Mg deficiency
explains (cytosolic Mg falls, releasing the ROMK block and weakening the pump) is not put down to an unexplained
K disorder; only the rest is. The notes say how much each accounts for.

Each lab has a ladder of assumptions, used in turn until the lab is met:

==========  ===================================================  ==========================================
lab         lower                                                higher
==========  ===================================================  ==========================================
K           an ongoing K loss up to 200 mmol/day, then renal K    renal K secretion down to x1/50
            secretion up to x50
Mg          gut Mg absorption down to x1/50, then a Mg loss up    gut absorption up to x50, then an ongoing
            to 24 mmol/day (at a normal serum Mg)                 Mg gain (a source; above 1.0 mmol/L only
                                                                  the source), which stops at t = 0
Ca          gut Ca absorption down to x1/50                       gut absorption up to x50, then an ongoing
                                                                  Ca gain (bone resorption) up to 240 mmol/day
==========  ===================================================  ==========================================

A lab that the ladder cannot reach in this patient - or that would take another serum value out of what a living
patient has - is refused in one line that says why, and what would reach it. The steady states are followed by
continuation (each from the last, the assumptions stepped gradually), and the state found is checked against the
labs before it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..units import split
from .products import ION_MOLAR_MASS, ION_VALENCE

# what a living patient can have (mmol/L), and the series each lab is matched to
LIVING_RANGE = {"K": (1.0, 10.0), "Mg": (0.1, 10.0), "Ca": (1.0, 5.0)}
SERIES = {"K": "K_o", "Mg": "Mg_tot", "Ca": "Ca_tot"}
ALIASES = {"k": "K", "potassium": "K", "mg": "Mg", "magnesium": "Mg", "ca": "Ca", "calcium": "Ca"}
ORDER = ("Mg", "Ca", "K")  # Mg first: its deficiency explains part of a low K (ROMK, pump) and of a low Ca (PTH)
MATCH = 1e-4  # relative: every lab is met to 0.01 %
CHECK = 5e-3  # relative: the state used must meet its labs to 0.5 % (checked after the fit)


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


# ------------------------------------------------------------------------------------------- the ladders
@dataclass(frozen=True)
class Rung:
    """One assumption: an input scaled by exp(t) (``up``) or exp(-t), or raised by r0 (exp(t) - 1), for t in
    [0, span]."""

    input: str
    mode: str  # "up" | "down" (multiply) | "add"
    span: float
    r0: float = 0.0  # mmol/h, for "add"


def _add(input_name: str, r0: float, most: float) -> Rung:
    return Rung(input_name, "add", float(np.log1p(most / r0)), r0)


FIFTY = float(np.log(50))
# raising the ladder's coordinate x raises the lab; x < 0 walks the "lower" rungs, x > 0 the "higher" ones
LOWER = {
    # an ongoing K loss at a fixed rate comes first: a multiplicative renal wasting would also waste every K given
    # later, so K repletion would look futile whatever the Mg (the Mg deficiency's own ROMK wasting is counted first)
    "K": (_add("gi_loss_K", 0.1, 200 / 24), Rung("K_secretion_factor", "up", FIFTY)),
    "Mg": (Rung("Mg_absorption_factor", "down", FIFTY), _add("gi_loss_Mg", 0.02, 24 / 24)),
    "Ca": (Rung("Ca_absorption_factor", "down", FIFTY),),
}
HIGHER = {
    # renal retention first; where there is little kidney left to retain with (dialysis), an ongoing K gain: more K
    # eaten than the stated diet, the usual cause of a high pre-dialysis K
    "K": (Rung("K_secretion_factor", "down", FIFTY), _add("iv_K", 0.05, 100 / 24)),
    "Mg": (Rung("Mg_absorption_factor", "up", FIFTY), _add("iv_Mg", 0.05, 40.0)),
    "Ca": (Rung("Ca_absorption_factor", "up", FIFTY), _add("iv_Ca", 0.05, 240 / 24)),
}
HIGH_MG_SOURCE = 1.0  # mmol/L: above it a Mg is held by a source (infusion, laxative), not by gut absorption
# what would reach a lab the ladder cannot, said in the refusal
WHAT_LOWERS = {
    "K": "a named cause of K loss (a lower diet.K, diarrhea or vomiting, a loop or thiazide diuretic, "
    "hyperaldosteronism) or a lower patient.labs.Mg",
    "Mg": "a named cause of Mg loss (omeprazole, diarrhea, gitelman, alcohol_use_disorder, a loop diuretic, "
    "a lower diet.Mg)",
    "Ca": "a lower eGFR, a lower diet.Ca or a lower patient.labs.Mg",
}
WHAT_RAISES = {
    "K": "a higher diet.K, a K-sparing drug (spironolactone, amiloride, lisinopril) or a lower eGFR; an acute rise "
    "is an intervention (tissue_breakdown, KCl), not a chronic state",
    "Mg": "a Mg source in interventions (MgSO4 iv, Mg hydroxide) or a lower eGFR",
    "Ca": "a calcium infusion in interventions (Ca gluconate iv)",
}


def ladder(ion: str, target: float, anuric: bool = False) -> tuple[tuple[Rung, ...], tuple[Rung, ...]]:
    """(lower rungs, higher rungs) for this ion and target; an anuric kidney has no renal K secretion to scale."""
    lower, higher = LOWER[ion], HIGHER[ion]
    if ion == "Mg" and target > HIGH_MG_SOURCE:
        higher = (_add("iv_Mg", 0.05, 40.0),)
    if anuric:
        lower = tuple(r for r in lower if r.input != "K_secretion_factor")
        higher = tuple(r for r in higher if r.input != "K_secretion_factor")
    return lower, higher


def apply(c, u0: np.ndarray, rungs_x: dict[str, tuple[tuple, tuple, float]]) -> np.ndarray:
    """Inputs with each ion's ladder at coordinate x: {ion: (lower, higher, x)}."""
    u = u0.copy()
    for lower, higher, x in rungs_x.values():
        rest = abs(x)
        for rung in lower if x < 0 else higher:
            if rest <= 0:
                break
            t = min(rest, rung.span)
            rest -= t
            k = c.input_index[rung.input]
            if rung.mode == "up":
                u[k] *= np.exp(t)
            elif rung.mode == "down":
                u[k] *= np.exp(-t)
            else:
                u[k] += rung.r0 * np.expm1(t)
    return u


def _bound(lower, higher) -> tuple[float, float]:
    return -sum(r.span for r in lower), sum(r.span for r in higher)


# ------------------------------------------------------------------------------------------------ the fit
class _NoSteadyState(Exception):
    pass


class LabsFit:
    """The chronic steady state of a patient with the given labs.

    Parameters
    ----------
    c, p, u0
        The compiled model, parameters and the patient's chronic inputs (diet, conditions, medications as rates).
    targets
        Labs in mmol/L: {"K": ..., "Mg": ..., "Ca": ...} (any of them).
    solve
        ``solve(c, p, u, y0=None, u0=None)``: the steady state of inputs u (by continuation from y0, the steady
        state of u0).
    context
        Words about the patient for refusals, e.g. "eGFR 15, on furosemide".
    shown
        The labs as measured, for refusals, when ``targets`` is an aim corrected for what comes before t = 0.

    Attributes (after ``fit``)
    --------------------------
    inputs_ : the hook inputs that changed, {input: value}
    state_ : the steady state
    notes_ : what was assumed, and how much each lab owes to what
    """

    def __init__(
        self, c, p, u0: np.ndarray, targets: dict[str, float], solve, context: str = "", shown: dict | None = None
    ):
        self.c, self.p, self.u0, self.targets, self.solve, self.context = c, p, u0, targets, solve, context
        self.shown = shown

    def carry(self, u: np.ndarray) -> np.ndarray:
        """The same assumptions applied to other inputs ``u`` (a history's, an arm's)."""
        return apply(self.c, u, {ion: (*self._ladders[ion], self.x_[ion]) for ion in self._ions})

    # -- one steady state, followed from the last one -------------------------------------------------------
    def _inputs(self, x: dict[str, float]) -> np.ndarray:
        return apply(self.c, self.u0, {ion: (*self._ladders[ion], x[ion]) for ion in x})

    def _steady(self, x: dict[str, float]) -> np.ndarray:
        key = tuple(round(x[ion], 12) for ion in self._ions)
        if key in self._cache:
            return self._cache[key]
        u = self._inputs(x)
        last_u, last_y = self._last
        try:
            y = self.solve(self.c, self.p, u, last_y, last_u, settle=False)
        except RuntimeError:
            raise _NoSteadyState from None
        self._last = (u, y)
        self._cache[key] = y
        return y

    def _levels(self, y: np.ndarray, u: np.ndarray) -> dict[str, float]:
        a = dict(zip(self.c.layout.outputs, self.c.algebraic(y[:, None], self.p, u[:, None])))
        return {ion: float(a[SERIES[ion]][0]) for ion in SERIES}

    def _level(self, ion: str, x: dict[str, float]) -> float:
        y = self._steady(x)
        return self._levels(y, self._inputs(x))[ion]

    def _unlivable(self, x: dict[str, float], before: dict[str, float]) -> tuple[str, float] | None:
        """A serum value not among the labs that the move from ``before`` to ``x`` takes out of the living range:
        (ion, value)."""
        levels = self._levels(self._steady(x), self._inputs(x))
        start = self._levels(self._steady(before), self._inputs(before))
        for ion, value in levels.items():
            low, high = LIVING_RANGE[ion]
            if ion not in self._ions and not low <= value <= high and low <= start[ion] <= high:
                return ion, value
        return None

    # -- one lab at a time -----------------------------------------------------------------------------------
    def _match(self, ion: str, x: dict[str, float], target: float) -> float:
        """The coordinate of ``ion``'s ladder that meets ``target``, the others held (refuses if none does)."""
        from scipy.optimize import brentq

        lo, hi = _bound(*self._ladders[ion])

        def gap(xi: float) -> float:
            return float(np.log(self._level(ion, {**x, ion: xi}) / target))

        a = x[ion]
        ga = gap(a)
        if abs(ga) < MATCH:
            return a
        direction = -np.sign(ga)
        h = 0.25
        while True:
            b = float(np.clip(a + direction * h, lo, hi))
            if b == a:
                raise _Refusal(ion, "exhausted", self._level(ion, {**x, ion: a}), direction)
            try:
                gb = gap(b)
            except _NoSteadyState:
                h /= 4
                if h < 1e-3:
                    raise _Refusal(ion, "no_steady_state", self._level(ion, {**x, ion: a}), direction) from None
                continue
            if np.sign(gb) != np.sign(ga) or abs(gb) < MATCH:
                break
            unlivable = self._unlivable({**x, ion: b}, {**x, ion: a})
            if unlivable is not None:
                raise _Refusal(ion, "unlivable", self._level(ion, {**x, ion: b}), direction, unlivable)
            a, ga = b, gb
            h = min(2 * h, 1.0)
        if abs(gb) < MATCH:
            return b
        try:
            return float(brentq(gap, min(a, b), max(a, b), xtol=1e-9, rtol=1e-10))
        except _NoSteadyState:
            raise _Refusal(ion, "no_steady_state", self._level(ion, {**x, ion: a}), direction) from None

    def _all(self, x: dict[str, float], targets: dict[str, float]) -> dict[str, float]:
        """Every ladder at the coordinate that meets ``targets`` together (rounds of one lab at a time)."""
        x = dict(x)
        for _ in range(30):
            for ion in self._ions:
                x[ion] = self._match(ion, x, targets[ion])
            levels = self._levels(self._steady(x), self._inputs(x))
            if all(abs(np.log(levels[ion] / targets[ion])) < MATCH for ion in self._ions):
                return x
        ion = max(self._ions, key=lambda i: abs(np.log(levels[i] / targets[i])))
        raise _Refusal(ion, "together", levels[ion], np.sign(targets[ion] - levels[ion]))

    def _refusal(self, r: _Refusal) -> InputError:
        ion, why, reached, direction, other = r.args
        shown = self.shown or self.targets
        target = shown[ion]
        low = direction < 0
        side = "below" if low else "above"
        where = f" ({self.context})" if self.context else ""
        others = [f"{o} {shown[o]:.3g}" for o in self._ions if o != ion]
        given = f" with {', '.join(others)}" if others else ""
        fix = WHAT_LOWERS[ion] if low else WHAT_RAISES[ion]
        if why == "exhausted":
            rungs = self._ladders[ion][0 if low else 1]
            words = " and ".join(_rung_words(r) for r in rungs)
            because = (
                f"cannot be reached as a chronic steady state of this patient{where}{given}: the most lytes assumes "
                f"unexplained ({words}) takes {ion} only to {reached:.3g} mmol/L"
            )
        elif why == "unlivable":
            o, value = other
            because = (
                f"cannot be started in this patient{where}{given}: at {ion} {reached:.3g} mmol/L their {o} would "
                f"already be {value:.3g} mmol/L, which no living patient has"
            )
            fix = f"the measured {o} given as patient.labs.{o} too"
        elif why == "together":
            because = (
                f"cannot be met together with the other labs in this patient{where}{given} (the closest steady state "
                f"has {ion} {reached:.3g} mmol/L)"
            )
            fix = "fewer labs, or their causes named in the scenario"
        else:
            because = (
                f"cannot be reached as a chronic steady state of this patient{where}{given}: lytes finds no steady "
                f"state with {ion} {side} {reached:.3g} mmol/L (the simulated patient would not settle)"
            )
        return InputError(f"patient.labs.{ion}", f"{target:.3g} mmol/L", "", f"{because}; what would reach it: {fix}")

    # -- all labs ---------------------------------------------------------------------------------------------
    def fit(self) -> LabsFit:
        c, targets = self.c, self.targets
        self._ions = [ion for ion in ORDER if ion in targets]
        anuric = self.p[c.param_index["gfr"]] <= 0
        self._ladders = {ion: ladder(ion, targets[ion], anuric) for ion in self._ions}
        self._cache: dict = {}
        x = {ion: 0.0 for ion in self._ions}
        try:
            y_base = self.solve(c, self.p, self.u0)
        except RuntimeError as exc:
            ion = self._ions[0]
            raise InputError(
                f"patient.labs.{ion}",
                f"{targets[ion]:.3g} mmol/L",
                "",
                f"cannot be reached: this patient has no steady state on this diet, conditions and medications "
                f"even before the labs ({exc})",
            ) from None
        self._last = (self.u0, y_base)
        self._cache[tuple(0.0 for _ in self._ions)] = y_base
        base = self.baseline_ = self._levels(y_base, self.u0)
        for ion in self._ions:
            if base[ion] < 0.01 * LIVING_RANGE[ion][0]:  # no intake, or losses beyond it: nothing to start from
                raise InputError(
                    f"patient.labs.{ion}",
                    f"{(self.shown or targets)[ion]:.3g} mmol/L",
                    "",
                    f"cannot be reached as a chronic steady state of this patient: on this diet and these conditions "
                    f"their {ion} would settle at {base[ion]:.2g} mmol/L; what would reach it: the {ion} intake the "
                    f"labs were drawn on (diet.{ion})",
                )

        # the labs are approached from the patient's own steady state in steps (all together, so a Ca lab holds
        # Ca while Mg falls); a step that fails is retried shorter, and only a failure at full length refuses
        lam, step = 0.0, 1.0
        while lam < 1.0:
            trial = min(1.0, lam + step)
            stage = {ion: base[ion] ** (1 - trial) * targets[ion] ** trial for ion in self._ions}
            try:
                x = self._all(x, stage)
                lam, step = trial, min(1.0, 2 * step)
            except _Refusal as r:
                if r.args[1] in ("exhausted", "unlivable") or step < 1 / 100:
                    raise self._refusal(r) from None
                step /= 4
        self.x_ = x
        u = self._inputs(x)
        y = self._steady(x)
        levels = self.levels_ = self._levels(y, u)
        self._check(u, y, levels)
        self.state_ = y
        self.inputs_ = {name: float(u[k]) for name, k in c.input_index.items() if u[k] != self.u0[k]}
        self.notes_ = self._notes()
        return self

    def _check(self, u: np.ndarray, y: np.ndarray, levels: dict[str, float]) -> None:
        """The state used must meet its labs and be one a living patient can have: never a silent misfit."""
        for ion in self._ions:
            if abs(levels[ion] / self.targets[ion] - 1) > CHECK:
                raise self._refusal(_Refusal(ion, "together", levels[ion], 1.0))
        for ion, value in levels.items():
            low, high = LIVING_RANGE[ion]
            if ion not in self._ions and not low <= value <= high:
                shown = self.shown or self.targets
                where = f" ({self.context})" if self.context else ""
                raise InputError(
                    "patient.labs",
                    ", ".join(f"{o} {shown[o]:.3g} mmol/L" for o in self._ions),
                    "",
                    f"cannot be started in this patient{where}: with these labs their {ion} would be {value:.3g} "
                    f"mmol/L, which no living patient has; what would reach it: the measured {ion} given as "
                    f"patient.labs.{ion} too",
                )
        roles = self.c.layout.state_roles
        amounts = [i for i, r in enumerate(roles) if r in ("body", "lumen", "control")]
        if np.any(y[amounts] < -1e-9 * max(1.0, float(np.abs(y[amounts]).max()))):
            name = self.c.layout.states[amounts[int(np.argmin(y[amounts]))]]
            lab = self._ions[0]
            raise InputError(
                f"patient.labs.{lab}",
                f"{(self.shown or self.targets)[lab]:.3g} mmol/L",
                "",
                f"cannot be started: the steady state at these labs has a negative {name}; what would reach it: "
                "the labs' causes named in the scenario",
            )

    def _explained(self, ion: str) -> float | None:
        """``ion`` with its own ladder at rest and the other labs met: what the model's mechanisms explain."""
        try:
            return self._level(ion, {**self.x_, ion: 0.0})
        except _NoSteadyState:
            return None

    def _notes(self) -> list[str]:
        notes = [_hook_note(name, value, self.u0[self.c.input_index[name]]) for name, value in self.inputs_.items()]
        base = self.baseline_
        if "Mg" not in self._ions:
            return notes
        shown = self.shown or self.targets
        mg = shown["Mg"]
        for ion in ("K", "Ca"):
            if ion not in self._ions:
                continue
            explained = self._explained(ion)
            if explained is None:
                continue
            how = ""
            if ion == "K" and mg < base["Mg"]:
                how = " (cell Mg falls: ROMK released, pump weakened)"
            elif ion == "Ca":
                how = " (through PTH)"
            text = f"Mg {mg:.3g} mmol/L accounts for {ion} {base[ion]:.3g} -> {explained:.3g} mmol/L{how}"
            names = dict.fromkeys(r.input for rungs in self._ladders[ion] for r in rungs)
            rest = [_short(n, self.inputs_[n], self.u0[self.c.input_index[n]]) for n in names if n in self.inputs_]
            if rest:
                text += f"; {' and '.join(rest)} for the rest (-> {shown[ion]:.3g} mmol/L)"
            else:
                text += " (all of it)"
            notes.append("labs: " + text)
        return notes


class _Refusal(Exception):
    """(ion, why, level reached, direction, other) - why a lab was not met at this stage."""

    def __init__(self, ion, why, reached, direction, other=None):
        super().__init__(ion, why, reached, direction, other)


# ------------------------------------------------------------------------------------------------ words
HOOK_WORDS = {
    "K_secretion_factor": ("renal K secretion", "unexplained renal K wasting", "unexplained renal K retention"),
    "Mg_absorption_factor": ("gut Mg absorption", "unexplained Mg gain", "unexplained Mg malabsorption or loss"),
    "Ca_absorption_factor": ("gut Ca absorption", "unexplained Ca gain", "unexplained Ca malabsorption"),
}
SOURCE_WORDS = {
    "gi_loss_K": "an unexplained ongoing K loss",
    "iv_K": "an unexplained ongoing K gain (more K eaten than the stated diet)",
    "gi_loss_Mg": "an unexplained Mg loss (gut or kidney)",
    "iv_Mg": "an ongoing Mg gain (the Mg source)",
    "iv_Ca": "an ongoing Ca gain (bone resorption)",
}


def _rung_words(r: Rung) -> str:
    if r.input in HOOK_WORDS:
        return f"{HOOK_WORDS[r.input][0]} x{np.exp(r.span if r.mode == 'up' else -r.span):.3g}"
    per_day = r.r0 * np.expm1(r.span) * 24
    return f"{SOURCE_WORDS[r.input].split(' (')[0].replace('an ', '')} of {per_day:.0f} mmol/day"


def _short(name: str, value: float, before: float) -> str:
    if name in HOOK_WORDS:
        f = value / before
        return f"{HOOK_WORDS[name][1 if f > 1 else 2]} x{f:.2f}"
    return f"{SOURCE_WORDS[name].split(' (')[0]} of {(value - before) * 24:.3g} mmol/day"


def _hook_note(name: str, value: float, before: float) -> str:
    if name == "iv_Mg":
        return (
            f"initial state estimated from labs: an ongoing Mg gain of {value - before:.2f} mmol/h (the Mg source) "
            "held the patient there; it stops at t = 0"
        )
    if name in HOOK_WORDS:
        what, up, down = HOOK_WORDS[name]
        f = value / before
        return f"initial state estimated from labs: {what} x{f:.2f} ({up if f > 1 else down}), kept through the run"
    return (
        f"initial state estimated from labs: {SOURCE_WORDS[name]} of {(value - before) * 24:.3g} mmol/day, "
        "kept through the run"
    )


INITIAL_ONLY = ("iv_Mg",)  # a source that held the labs and stops at t = 0


def fit(c, p, u0: np.ndarray, targets: dict[str, float], solve, context: str = "", shown=None) -> LabsFit:
    """The fitted labs state (see :class:`LabsFit`)."""
    return LabsFit(c, p, u0, targets, solve, context, shown).fit()

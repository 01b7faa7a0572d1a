"""The model as data: states, parameters, inputs, algebraic variables and fluxes.

Mechanism modules add to a :class:`ModelBuilder`; nothing here knows about scenarios or solvers. Every flux moves an
amount from one pool to another (or from an ``intake`` source / to an ``output`` sink), so the ODE right-hand side
is assembled from fluxes and conservation of each ion holds by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp


@dataclass(frozen=True)
class State:
    name: str
    unit: str
    description: str
    ion: str | None = None  # "K", "Mg", "Na", "Ca" for amount states, None otherwise
    role: str = "body"  # body | lumen | intake | urine | faeces | other | control


@dataclass(frozen=True)
class Flux:
    name: str
    expr: sp.Expr
    source: str | None  # state name or None (enters from outside the model's state)
    target: str | None
    unit: str = "mmol/h"


@dataclass(frozen=True)
class Input:
    name: str
    unit: str
    description: str
    default: float


@dataclass(frozen=True)
class Output:
    name: str
    expr: sp.Expr
    unit: str
    description: str


@dataclass
class ModelBuilder:
    """Collects the pieces of the model. Mechanism modules call its methods in their ``build`` function."""

    states: dict[str, State] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # name -> unit the equations use
    inputs: dict[str, Input] = field(default_factory=dict)
    derived: dict[str, sp.Expr] = field(default_factory=dict)
    algebraic: dict[str, sp.Expr] = field(default_factory=dict)
    fluxes: list[Flux] = field(default_factory=list)
    rates: dict[str, sp.Expr] = field(default_factory=dict)  # non-amount states (hormones, adaptations)
    outputs: dict[str, Output] = field(default_factory=dict)
    conservation: dict[str, tuple[dict[str, float], sp.Expr]] = field(default_factory=dict)
    options: dict = field(default_factory=dict)  # build options, e.g. {"drug_classes": (...)}
    _symbols: dict[str, sp.Symbol] = field(default_factory=dict)

    # -- declarations -------------------------------------------------------------------------------------------
    def sym(self, name: str) -> sp.Symbol:
        if name not in self._symbols:
            self._symbols[name] = sp.Symbol(name, real=True)
        return self._symbols[name]

    def state(self, name: str, unit: str, description: str, ion: str | None = None, role: str = "body"):
        if name in self.states:
            raise ValueError(f"state {name!r} declared twice")
        self.states[name] = State(name, unit, description, ion, role)
        return self.sym(name)

    def param(self, name: str, unit: str) -> sp.Symbol:
        """A parameter taken from the parameter table (or the patient), in the unit the equations use."""
        if self.params.get(name, unit) != unit:
            raise ValueError(f"parameter {name!r} used with units {self.params[name]!r} and {unit!r}")
        self.params[name] = unit
        return self.sym(name)

    def derive(self, name: str, expr: sp.Expr) -> sp.Symbol:
        """A parameter computed from other parameters (calibration to the reference state)."""
        if name in self.derived:
            raise ValueError(f"derived parameter {name!r} declared twice")
        self.derived[name] = expr
        return self.sym(name)

    def input(self, name: str, unit: str, description: str, default: float = 0.0) -> sp.Symbol:
        if name not in self.inputs:
            self.inputs[name] = Input(name, unit, description, default)
        return self.sym(name)

    def var(self, name: str, expr: sp.Expr) -> sp.Symbol:
        """An algebraic (intermediate) variable of the state."""
        if name in self.algebraic:
            raise ValueError(f"variable {name!r} declared twice")
        self.algebraic[name] = sp.sympify(expr)
        return self.sym(name)

    def flux(self, name: str, expr: sp.Expr, source: str | None, target: str | None) -> sp.Symbol:
        for end in (source, target):
            if end is not None and end not in self.states:
                raise ValueError(f"flux {name!r} refers to unknown state {end!r}")
        self.fluxes.append(Flux(name, expr, source, target))
        self.algebraic[name] = expr
        return self.sym(name)

    def rate(self, state: str, expr: sp.Expr) -> None:
        """d(state)/dt for a state that is not an amount moved by fluxes (hormone levels, adaptations)."""
        if state not in self.states:
            raise ValueError(f"rate for unknown state {state!r}")
        self.rates[state] = expr

    def output(self, name: str, expr: sp.Expr, unit: str, description: str) -> None:
        self.outputs[name] = Output(name, expr, unit, description)

    def conserve(self, row: str, weights: dict, value) -> None:
        """A linear invariant sum(w*state) = value that the steady-state solver holds fixed in place of the equation
        of state ``row`` (weights and value may be expressions of parameters)."""
        self.conservation[row] = (weights, value)

    def get(self, name: str) -> sp.Symbol:
        known = set(self.states) | set(self.params) | set(self.inputs) | set(self.derived) | set(self.algebraic)
        if name not in known:
            raise KeyError(f"unknown model symbol {name!r}")
        return self.sym(name)

    # -- assembly -----------------------------------------------------------------------------------------------
    def derivatives(self) -> dict[str, sp.Expr]:
        d: dict[str, sp.Expr] = {name: sp.Integer(0) for name in self.states}
        for f in self.fluxes:
            s = self.sym(f.name)
            if f.source is not None:
                d[f.source] -= s
            if f.target is not None:
                d[f.target] += s
        for name, expr in self.rates.items():
            d[name] += expr
        return d

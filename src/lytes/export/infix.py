"""sympy expressions as infix formulas that both libSBML's Level 3 formula parser and Antimony read the same way.

Only what the model uses is printed (sums, products, powers, exp, natural log, abs, piecewise and comparisons);
anything else is refused by name, so a new function in a mechanism fails loudly here rather than exporting wrong
math. ``ln`` is written for the natural log (libSBML reads a bare ``log(x)`` as log10). Numbers keep every digit
(``repr`` of a float round-trips exactly).

Powers, logarithms and exponentials keep the domain guards of the generated code (lytes.engine.codegen: the base of
a non-integer power and the argument of a log floored at ``TINY``, an exponent capped at ``EXP_MAX``), so an SBML
tool evaluates the same functions as lytes' engines also at a solver's trial point outside the physiological range.
"""

from __future__ import annotations

import sympy as sp


class UnsupportedMath(ValueError):
    pass


def number(value: float) -> str:
    text = repr(float(value))
    if text in ("inf", "-inf", "nan"):
        raise UnsupportedMath(f"the non-finite number {text} has no infix form")
    return text


def _guards() -> tuple[float | None, float | None]:
    from ..engine import codegen

    return getattr(codegen, "TINY", None), getattr(codegen, "EXP_MAX", None)


def infix(expr) -> str:
    """The formula of ``expr`` (a sympy expression or number)."""
    return _print(sp.sympify(expr))


def _floored(e) -> str:
    tiny = _guards()[0]
    return _print(e) if tiny is None else f"max({_print(e)}, {number(tiny)})"


def _print(e) -> str:
    if e.is_Symbol:
        return e.name
    if e.is_Integer:
        return str(int(e)) if int(e) >= 0 else f"({int(e)})"
    if e.is_Rational:
        return f"({e.p}/{e.q})"
    if e.is_Number:
        text = number(float(e))
        return f"({text})" if text.startswith("-") else text
    if e is sp.true:
        return "true"
    if e is sp.false:
        return "false"
    if e.is_Add:
        return "(" + " + ".join(_print(a) for a in e.args) + ")"
    if e.is_Mul:
        num, den = [], []
        for a in e.args:
            if a.is_Pow and a.exp.is_Number and a.exp < 0:
                den.append(a.base if a.exp == -1 else sp.Pow(a.base, -a.exp, evaluate=False))
            else:
                num.append(a)
        text = " * ".join(_print(a) for a in num) if num else "1"
        if den:
            text = f"{text} / ({' * '.join(_print(a) for a in den)})"
        return f"({text})"
    if e.is_Pow:
        if e.exp == -1:
            return f"(1 / {_print(e.base)})"
        if e.exp.is_integer or (e.base.is_number and e.base.is_positive):
            return f"({_print(e.base)}^{_print(e.exp)})"
        return f"({_floored(e.base)}^{_print(e.exp)})"
    if isinstance(e, sp.exp):
        cap = _guards()[1]
        inner = _print(e.args[0])
        return f"exp({inner})" if cap is None else f"exp(min({inner}, {number(cap)}))"
    if isinstance(e, sp.log):
        if len(e.args) != 1:
            raise UnsupportedMath("log with a base")
        return f"ln({_floored(e.args[0])})"
    if isinstance(e, sp.Abs):
        return f"abs({_print(e.args[0])})"
    if isinstance(e, sp.Piecewise):
        parts = []
        for value, cond in e.args:
            if cond is sp.true:
                parts.append(_print(value))
            else:
                parts += [_print(value), _print(cond)]
        if e.args[-1][1] is not sp.true:
            raise UnsupportedMath("a piecewise without an otherwise branch")
        return f"piecewise({', '.join(parts)})"
    if isinstance(e, sp.core.relational.Relational):
        op = {">": ">", "<": "<", ">=": ">=", "<=": "<=", "==": "==", "!=": "!="}[e.rel_op]
        return f"({_print(e.lhs)} {op} {_print(e.rhs)})"
    raise UnsupportedMath(f"{type(e).__name__} ({e}) has no infix form in the exporter")

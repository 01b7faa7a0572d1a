"""Generate the numerical functions (derived parameters, right-hand side, Jacobian, outputs) from the model.

The model's expressions are flattened, differentiated and common-subexpression-eliminated by sympy, then printed as
plain Python source. The source is cached on disk keyed by a hash of the model's own source files, so sympy runs only
when the physiology changes. If numba is installed (``pip install lytes[fast]``), the right-hand side and Jacobian
are compiled with it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

CODEGEN_VERSION = "6"  # 6: powers, logs and exps kept in their domain


@dataclass(frozen=True)
class Layout:
    states: tuple[str, ...]
    base_params: tuple[str, ...]  # parameter table + patient parameters, in vector order
    base_units: tuple[str, ...]  # the unit the equations use for each base parameter
    derived: tuple[str, ...]
    inputs: tuple[str, ...]
    input_defaults: tuple[float, ...]
    outputs: tuple[str, ...]  # algebraic variables exposed for results (all of them)
    state_roles: tuple[str, ...] = ()
    state_ions: tuple[str | None, ...] = ()
    state_units: tuple[str, ...] = ()
    # linear invariants: (state whose equation the steady-state solver replaces, ((state, weight), ...))
    conservation: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def params(self) -> tuple[str, ...]:
        return self.base_params + self.derived


class Compiled:
    """The generated functions and the layout of their vectors.

    ``rhs``/``jac`` take (y, t, p, u); ``arrays`` says whether p and u must be numpy arrays (numba) or lists.
    """

    def __init__(self, layout: Layout, namespace: dict, jit: str = "python"):
        self.layout = layout
        self.jit = jit
        self.arrays = jit == "numba"
        self.derive = namespace["derive"]
        self.rhs = namespace["rhs_arrays" if self.arrays else "rhs"]
        self.jac = namespace["jac_arrays" if self.arrays else "jac"]
        self.algebraic = namespace["algebraic"]
        self.conserved = namespace["conserved"]
        self.n = len(layout.states)
        self.index = {name: i for i, name in enumerate(layout.states)}
        self.input_index = {name: i for i, name in enumerate(layout.inputs)}
        self.param_index = {name: i for i, name in enumerate(layout.params)}


def _model_hash() -> str:
    """The key of the generated code: the model's source and this generator (nothing else shapes the code)."""
    h = hashlib.sha256(CODEGEN_VERSION.encode())
    root = resources.files("lytes")
    for sub in ("model", "model/mechanisms"):
        folder = root.joinpath(sub)
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".py"):
                h.update(entry.name.encode())
                h.update(entry.read_bytes())
    h.update(root.joinpath("engine", "codegen.py").read_bytes())
    return h.hexdigest()[:20]


@functools.cache
def model_fingerprint() -> str:
    """A short hash of everything that decides the numbers: the model's code and its data tables (parameters, drugs,
    products, conditions, foods). Outputs carry it with the lytes version, so a result can be reproduced."""
    h = hashlib.sha256(_model_hash().encode())
    engine = resources.files("lytes").joinpath("engine")
    for entry in sorted(engine.iterdir(), key=lambda e: e.name):  # the solvers: tolerances, steady-state search
        if entry.name.endswith(".py") and entry.name != "codegen.py":
            h.update(entry.name.encode())
            h.update(entry.read_bytes())
    data = resources.files("lytes.data")
    for name in ("parameters.csv", "drugs.yaml", "products.yaml", "conditions.yaml", "foods.yaml"):
        h.update(data.joinpath(name).read_bytes())
    return h.hexdigest()[:12]


def _cache_dir() -> Path | None:
    base = os.environ.get("LYTES_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lytes"
    )
    path = Path(base)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path


def _topological(algebraic: dict) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in stack:
            raise ValueError(f"algebraic loop through {' -> '.join(stack + (name,))}")
        for s in algebraic[name].free_symbols:
            if s.name in algebraic:
                visit(s.name, stack + (name,))
        seen.add(name)
        order.append(name)

    for name in algebraic:
        visit(name, ())
    return order


def generate_source(drug_classes: tuple[str, ...] | None = None) -> tuple[Layout, str]:
    import sympy as sp

    from ..model import PATIENT_PARAMETERS, build

    m = build(drug_classes)
    states = tuple(m.states)
    base = tuple(sorted(m.params))
    inputs = tuple(m.inputs)

    # derived parameters in dependency order
    derived_order = _topological(m.derived)
    # algebraic variables flattened in dependency order
    alg_order = _topological(m.algebraic)
    flat: dict[str, sp.Expr] = {}
    for name in alg_order:
        flat[name] = m.algebraic[name].xreplace({m.sym(k): v for k, v in flat.items()})
    subs = {m.sym(k): v for k, v in flat.items()}
    derivs = m.derivatives()
    rhs = [derivs[s].xreplace(subs) for s in states]
    known = set(states) | set(base) | set(m.derived) | set(inputs)
    for i, e in enumerate(rhs):
        unknown = {s.name for s in e.free_symbols} - known
        if unknown:
            raise ValueError(f"d{states[i]}/dt uses undefined symbols {sorted(unknown)}")

    jac_entries = _jacobian(m, states, alg_order, derivs, subs)

    # hoist parameter-only subexpressions out of the hot functions: computed once per patient in derive()
    param_set = {m.sym(n) for n in base} | {m.sym(n) for n in m.derived}
    hoisted: dict = {}
    hoist = _hoister(param_set, hoisted)
    rhs = [hoist(e) for e in rhs]
    jac_entries = [(i, j, hoist(e)) for i, j, e in jac_entries]
    constants = [(sym.name, expr) for expr, sym in hoisted.items()]

    from sympy.printing.numpy import NumPyPrinter
    from sympy.printing.pycode import PythonCodePrinter

    printer = _safe_printer(PythonCodePrinter, "max")({"fully_qualified_modules": True})
    # plain-float variant: the floor as a conditional expression, cheaper than a call to max() in CPython
    fast_printer = _safe_printer(PythonCodePrinter, "walrus")({"fully_qualified_modules": True})
    np_printer = _safe_printer(NumPyPrinter, "numpy.maximum")({"fully_qualified_modules": True})

    def unpack(kind: str, names, vec: str) -> list[str]:
        return [f"    {n} = {vec}[{i}]" for i, n in enumerate(names)]

    lines = ["import math", "import numpy", ""]
    rows_cols = ", ".join(str(i) for i, _, _ in jac_entries), ", ".join(str(j) for _, j, _ in jac_entries)
    lines += [f"_JAC_ROWS = numpy.array([{rows_cols[0]}], dtype=numpy.intp)"]
    lines += [f"_JAC_COLS = numpy.array([{rows_cols[1]}], dtype=numpy.intp)", ""]
    # derive(p_base) -> full parameter vector
    lines.append("def derive(p):")
    lines += unpack("p", base, "p")
    out = []
    for name in derived_order:
        lines.append(f"    {name} = {printer.doprint(m.derived[name])}")
        out.append(name)
    for name, expr in constants:
        lines.append(f"    {name} = {printer.doprint(expr)}")
        out.append(name)
    lines.append(f"    return numpy.concatenate((p, numpy.array([{', '.join(out)}], dtype=float)))")
    lines.append("")
    params_all = base + tuple(derived_order) + tuple(n for n, _ in constants)
    lines.append("def conserved(p):")
    lines += unpack("p", params_all, "p")
    rows = []
    for weights, value in m.conservation.values():
        w = ", ".join(printer.doprint(sp.sympify(x)) for x in weights.values())
        rows.append(f"([{w}], {printer.doprint(sp.sympify(value))})")
    lines.append(f"    return [{', '.join(rows)}]")
    lines.append("")

    eliminated: dict = {}  # the scalar and array variants share one common-subexpression elimination

    def body(exprs, pr, header, scalar=True):
        key = tuple(exprs)
        if key not in eliminated:
            eliminated[key] = sp.cse(exprs, symbols=sp.numbered_symbols("_c"))
        repl, reduced = eliminated[key]
        used = set().union(*(e.free_symbols for e in exprs)) if exprs else set()
        used = {s.name for s in used}
        src = list(header)
        for vec, names in (("y", states), ("p", params_all), ("u", inputs)):
            if scalar:  # plain Python floats (faster than numpy scalars here), unpacked in one statement
                target = ", ".join(n if n in used else "_" for n in names)
                src.append(f"    ({target},) = {vec}.tolist()" if vec == "y" else f"    ({target},) = {vec}")
            else:
                src += [f"    {n} = {vec}[{i}]" for i, n in enumerate(names) if n in used]
        for sym, e in repl:
            src.append(f"    {sym} = {pr.doprint(e)}")
        return src, reduced

    # rhs/jac come twice: over plain Python floats (fastest in CPython) and over arrays (for numba)
    for suffix, scalar in (("", True), ("_arrays", False)):
        pr = fast_printer if scalar else printer
        src, reduced = body(rhs, pr, [f"def rhs{suffix}(y, t, p, u):"], scalar)
        src.append(f"    return numpy.array([{', '.join(pr.doprint(e) for e in reduced)}])")
        lines += src + [""]
        src, reduced = body([e for _, _, e in jac_entries], pr, [f"def jac{suffix}(y, t, p, u):"], scalar)
        src.append(f"    J = numpy.zeros(({len(states)}, {len(states)}))")
        if scalar:  # one fancy assignment of all entries (numpy item assignment is slow one by one)
            src.append(f"    J[_JAC_ROWS, _JAC_COLS] = [{', '.join(pr.doprint(e) for e in reduced)}]")
        else:
            for (i, j, _), e in zip(jac_entries, reduced):
                src.append(f"    J[{i}, {j}] = {pr.doprint(e)}")
        src.append("    return J")
        lines += src + [""]

    # vectorised algebraic variables over time (y: states x times, u: inputs x times)
    names = tuple(alg_order)
    src, reduced = body([flat[n] for n in names], np_printer, ["def algebraic(y, p, u):"], scalar=False)
    src.append("    one = numpy.ones(y.shape[1])")
    src.append(f"    return numpy.array([one * ({'), one * ('.join(np_printer.doprint(e) for e in reduced)})])")
    lines += src + [""]

    layout = Layout(
        states=states,
        base_params=base,
        base_units=tuple(m.params[n] for n in base),
        derived=tuple(derived_order) + tuple(n for n, _ in constants),
        inputs=inputs,
        input_defaults=tuple(m.inputs[n].default for n in inputs),
        outputs=names,
        state_roles=tuple(m.states[s].role for s in states),
        state_ions=tuple(m.states[s].ion for s in states),
        state_units=tuple(m.states[s].unit for s in states),
        conservation=tuple((row, tuple(w)) for row, (w, _) in m.conservation.items()),
    )
    # record the layout in the source so a cached copy is self-describing
    lines.append(f"LAYOUT = {layout!r}")
    assert all(n in PATIENT_PARAMETERS or n in base for n in PATIENT_PARAMETERS)
    return layout, "\n".join(lines) + "\n"


def _jacobian(m, states, alg_order, derivs, subs) -> list:
    """The Jacobian's nonzero entries (i, j, expression), by the chain rule through the algebraic variables.

    Each algebraic variable is differentiated once, in its own small definition, by the symbols it uses; a state's
    sensitivity is carried forward (d a / d x = sum over what a uses of (partial a) x (d that / d x)), and only the
    partials are flattened. Differentiating the flattened right-hand side instead repeats the same subtrees for every
    state and took most of the code generation's time."""
    import sympy as sp

    index = {m.sym(s): j for j, s in enumerate(states)}
    algebraic = {m.sym(a): a for a in alg_order}
    sensitivity: dict[str, dict[int, sp.Expr]] = {}

    def total(expr) -> dict[int, sp.Expr]:
        out: dict[int, sp.Expr] = {}
        for sym in expr.free_symbols:
            if sym in index:
                j = index[sym]
                out[j] = out.get(j, 0) + sp.diff(expr, sym).xreplace(subs)
            elif sym in algebraic and sensitivity.get(algebraic[sym]):
                partial = sp.diff(expr, sym).xreplace(subs)
                if partial == 0:
                    continue
                for j, inner in sensitivity[algebraic[sym]].items():
                    out[j] = out.get(j, 0) + partial * inner
        return {j: e for j, e in out.items() if e != 0}

    for name in alg_order:
        sensitivity[name] = total(m.algebraic[name])
    entries = []
    for i, s in enumerate(states):
        for j, e in sorted(total(derivs[s]).items()):
            entries.append((i, j, e))
    return entries


TINY = 1e-30  # the floor of a base or a logarithm's argument: a concentration or amount is never below zero
EXP_MAX = 700.0  # exp() of more overflows a float


def _safe_printer(base, maximum: str):
    """A code printer whose powers, logarithms and exponentials stay in their domain.

    The model's expressions are physiology: a non-integer power or a logarithm is of a concentration, an amount or
    an activity, which is never negative. A trial point of the steady-state search or of the integrator can still
    stray below zero; there ``x**0.5`` would be complex and ``log(x)`` a math domain error. Bases and arguments are
    floored at a tiny positive number (the physiological floor), and exponents capped below overflow, so every
    evaluation gives a finite number and the solvers step back on their own."""

    def floor(text: str) -> str:
        if maximum == "walrus":
            return f"(_f if (_f := {text}) > {TINY} else {TINY})"
        return f"{maximum}({text}, {TINY})"

    class Safe(base):
        def _print_Pow(self, expr, rational=False):
            b, e = expr.as_base_exp()
            if e.is_integer or (b.is_positive and b.is_number):
                return super()._print_Pow(expr, rational=rational)
            return f"{floor(self._print(b))}**({self._print(e)})"

        def _print_log(self, expr):
            return f"{self._module_format(self._log_name)}({floor(self._print(expr.args[0]))})"

        def _print_exp(self, expr):
            arg = self._print(expr.args[0])
            if maximum == "walrus":
                capped = f"(_e if (_e := {arg}) < {EXP_MAX} else {EXP_MAX})"
            else:
                capped = f"{'numpy.minimum' if maximum.startswith('numpy') else 'min'}({arg}, {EXP_MAX})"
            return f"{self._module_format(self._exp_name)}({capped})"

    array = maximum.startswith("numpy")
    Safe._log_name = "numpy.log" if array else "math.log"
    Safe._exp_name = "numpy.exp" if array else "math.exp"
    return Safe


def _hoister(params: set, table: dict):
    """A function replacing maximal parameter-only subexpressions by symbols ``_kN`` collected in ``table``.

    Each distinct subexpression is examined once (the flattened model repeats subtrees many times), so hoisting is
    linear in the size of the expression graph."""
    import sympy as sp

    only: dict = {}
    done: dict = {}

    def param_only(e) -> bool:  # free symbols, all of them parameters
        if e.is_Atom:
            return e in params
        found = only.get(e)
        if found is None:
            found = all(a.is_number or param_only(a) for a in e.args) and not e.is_number
            only[e] = found
        return found

    def hoist(e):
        if e.is_Atom:
            return e
        found = done.get(e)
        if found is not None:
            return found
        if param_only(e):
            if e not in table:
                table[e] = sp.Symbol(f"_k{len(table)}", real=True)
            out = table[e]
        elif isinstance(e, (sp.Add, sp.Mul)):
            constant = [a for a in e.args if param_only(a)]
            rest = [hoist(a) for a in e.args if not param_only(a)]
            if len(constant) > 1:
                out = e.func(hoist(e.func(*constant)), *rest)
            else:
                out = e.func(*[hoist(a) for a in constant], *rest)
        else:
            out = e.func(*[hoist(a) for a in e.args])
        done[e] = out
        return out

    return hoist


def _load(source: str) -> dict:
    namespace: dict = {"Layout": Layout}
    exec(compile(source, "<lytes-generated>", "exec"), namespace)
    return namespace


def _source(key: str, cache: Path | None, drug_classes=None) -> str:
    path = cache / f"model_{key}.py" if cache else None
    if path is not None and path.exists():
        return path.read_text()
    if sys.stderr.isatty():  # said on a terminal only: scripts and pipes get clean stderr
        print(
            "lytes: generating the model's code (the first run on this machine, or after an update; a few seconds, "
            "then cached)",
            file=sys.stderr,
        )
    _, source = generate_source(drug_classes)
    if path is not None:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_text(source)
            os.replace(tmp, path)
        except OSError:
            pass
    return source


def _numba_namespace(key: str, cache: Path | None) -> dict | None:
    """Compile rhs/jac with numba from the cached module file (so numba can cache its machine code too)."""
    try:
        import numba
    except ImportError:
        return None
    if cache is None:
        return None
    import importlib.util

    path = cache / f"model_{key}.py"
    spec = importlib.util.spec_from_file_location(f"lytes_generated_{key.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__["Layout"] = Layout
    sys.modules[spec.name] = module  # numba's cache re-imports the module by name
    spec.loader.exec_module(module)
    namespace = dict(module.__dict__)
    for name in ("rhs_arrays", "jac_arrays"):
        namespace[name] = numba.njit(cache=True, fastmath=False)(namespace[name])
    return namespace


def jit_mode() -> str:
    """'numba' when LYTES_JIT=numba and numba is installed (``pip install lytes[fast]``), else 'python'.

    numba makes each right-hand-side call ~4x cheaper but adds about a second to a cold start (and ~10 s the first
    time it compiles), so it pays for long or many runs (cohorts, fits), not for one short scenario.
    """
    if os.environ.get("LYTES_JIT", "python").lower() != "numba":
        return "python"
    import importlib.util

    return "numba" if importlib.util.find_spec("numba") is not None else "python"


def compiled(jit: str | None = None, drug_classes: tuple[str, ...] | None = None) -> Compiled:
    """The model's numerical functions, from the on-disk cache when the model has not changed.

    ``drug_classes`` (sorted tuple) selects the variant with only those drugs' states; None is the full model.
    ``jit``: "python" or "numba"; by default LYTES_JIT as it is now (see :func:`jit_mode`).
    """
    return _compiled(jit or jit_mode(), drug_classes)


@functools.lru_cache(maxsize=16)
def _compiled(jit: str, drug_classes: tuple[str, ...] | None) -> Compiled:
    tag = "all" if drug_classes is None else ("-".join(drug_classes) or "none")
    key = f"{_model_hash()}_{tag}"
    cache = _cache_dir()
    source = _source(key, cache, drug_classes)
    namespace = _load(source)
    if jit == "numba":
        nb = _numba_namespace(key, cache)
        if nb is None:
            jit = "python"
        else:
            namespace.update({k: nb[k] for k in ("rhs_arrays", "jac_arrays")})
    return Compiled(namespace["LAYOUT"], namespace, jit)


def parameter_vector(
    patient_values: dict[str, float], c: Compiled | None = None, overrides: dict[str, float] | None = None
) -> np.ndarray:
    """Base parameter vector (table values in model units, plus the patient's) and the derived parameters.

    ``overrides`` replaces table values (in the table's own units) - for sensitivity analysis and fitting.
    """
    from ..model.parameters import table
    from ..units import convert

    c = c or compiled()
    rows = table()
    values = []
    for name, unit in zip(c.layout.base_params, c.layout.base_units):
        if name in patient_values:
            values.append(float(patient_values[name]))
        else:
            row = rows[name]
            value = overrides.get(name, row.value) if overrides else row.value
            values.append(value if row.unit == unit else convert(value, row.unit, unit))
    return c.derive(np.array(values, dtype=float))

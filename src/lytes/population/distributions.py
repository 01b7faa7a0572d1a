"""Distributions of a virtual population, written as people write them and drawn by inverse CDF.

Each distribution turns one uniform number ``u`` in (0, 1) into a value (``ppf``), so a patient keeps the same
quantile of a covariate whatever its distribution (the same patient is a heavy one in every subgroup), and a
truncation is exact (``u`` is mapped into the kept part of the CDF, never redrawn).

Written in a spec as a fixed value (``70 kg``, ``female``) or a mapping with ``dist``:

- ``{dist: normal, mean: 80 kg, sd: 15 kg, min: 45 kg, max: 160 kg}`` (``min``/``max`` truncate; ``truncated_normal``
  is the same with both bounds required)
- ``{dist: lognormal, median: 100 mL/min/1.73m2, cv: 25 %}`` (or ``mean`` + ``sd``; ``min``/``max`` truncate)
- ``{dist: uniform, low: 18 y, high: 42 y}``
- ``{dist: categorical, p: {female: 60 %, male: 40 %}}`` (probabilities as fractions or percentages, summing to 1)
- ``{dist: bernoulli, p: 30 %}`` (true with probability p)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InputError

_PERCENT = re.compile(r"^\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*%\s*$")


def fraction(value, field: str, what: str = "a fraction") -> float:
    """A share, a probability or a CV: '15 %', '15%' or a number from 0 to 1."""
    if isinstance(value, bool):
        raise InputError(field, value, f"{what} as a percentage ('15 %') or a number from 0 to 1")
    if isinstance(value, (int, float)):
        number = float(value)
        if not 0 <= number <= 1:
            raise InputError(field, value, f"{what} as a percentage ('15 %') or a number from 0 to 1")
        return number
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match:
            number = float(match.group(1)) / 100
            if 0 <= number <= 1:
                return number
        else:
            try:
                number = float(value)
            except ValueError:
                number = -1.0
            if 0 <= number <= 1:
                return number
    raise InputError(field, value, f"{what} as a percentage from 0 to 100 ('15 %') or a number from 0 to 1")


def _ndtri(u: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(u))


def _ndtr(x: float) -> float:
    from scipy.special import ndtr

    return float(ndtr(x))


@dataclass(frozen=True)
class Fixed:
    value: object

    def ppf(self, u: float):
        return self.value

    def describe(self, unit: str = "") -> str:
        return f"{self.value:g} {unit}".strip() if isinstance(self.value, float) else str(self.value)


@dataclass(frozen=True)
class Normal:
    """A normal (log=False) or lognormal (log=True: mu and sigma of the log) distribution, truncated to [lo, hi]."""

    mu: float
    sigma: float
    lo: float = -math.inf
    hi: float = math.inf
    log: bool = False

    def _z(self, x: float) -> float:
        if self.log:
            x = math.log(x) if x > 0 else -math.inf
        return (x - self.mu) / self.sigma if self.sigma > 0 else math.copysign(math.inf, x - self.mu)

    def ppf(self, u: float) -> float:
        if self.sigma == 0:
            x = math.exp(self.mu) if self.log else self.mu
            return min(max(x, self.lo), self.hi)
        a, b = _ndtr(self._z(self.lo)), _ndtr(self._z(self.hi))
        q = a + u * (b - a)
        q = min(max(q, 1e-12), 1 - 1e-12)
        x = self.mu + self.sigma * _ndtri(q)
        x = math.exp(x) if self.log else x
        return min(max(x, self.lo), self.hi)  # rounding at the bounds

    def describe(self, unit: str = "") -> str:
        bounds = ""
        if self.lo > -math.inf or self.hi < math.inf:
            bounds = f", truncated to {self.lo:g}-{self.hi:g}"
        if self.log:
            cv = math.sqrt(math.exp(self.sigma**2) - 1)
            return f"lognormal, median {math.exp(self.mu):.3g} {unit}, CV {100 * cv:.0f} %{bounds}".replace("  ", " ")
        return f"normal, mean {self.mu:.3g} {unit}, SD {self.sigma:.3g}{bounds}".replace("  ", " ")


@dataclass(frozen=True)
class Uniform:
    lo: float
    hi: float

    def ppf(self, u: float) -> float:
        return self.lo + u * (self.hi - self.lo)

    def describe(self, unit: str = "") -> str:
        return f"uniform {self.lo:.3g}-{self.hi:.3g} {unit}".strip()


@dataclass(frozen=True)
class Categorical:
    choices: tuple  # values
    cumulative: tuple[float, ...]

    def ppf(self, u: float):
        for value, edge in zip(self.choices, self.cumulative):
            if u < edge:
                return value
        return self.choices[-1]

    def describe(self, unit: str = "") -> str:
        shares, last = [], 0.0
        for value, edge in zip(self.choices, self.cumulative):
            shares.append(f"{value} {100 * (edge - last):.0f} %")
            last = edge
        return ", ".join(shares)


Distribution = Fixed | Normal | Uniform | Categorical

KEYS = {
    "normal": {"dist", "mean", "sd", "min", "max"},
    "truncated_normal": {"dist", "mean", "sd", "min", "max"},
    "lognormal": {"dist", "median", "cv", "mean", "sd", "min", "max"},
    "uniform": {"dist", "low", "high"},
    "categorical": {"dist", "p"},
    "bernoulli": {"dist", "p"},
}
DIST_ALIASES = {"truncnormal": "truncated_normal", "truncated": "truncated_normal", "log-normal": "lognormal"}


def parse(
    spec,
    field: str,
    quantity: Callable[[object, str], float] | None,
    choices: Callable[[object, str], object] | None = None,
    low: float = -math.inf,
    high: float = math.inf,
    what: str = "a value",
) -> Distribution:
    """A distribution from its spec. ``quantity(text, field)`` reads one number in the canonical unit (None for a
    categorical covariate); ``choices(value, field)`` reads one category; [low, high] is the range a draw may take
    (a distribution whose centre lies outside it is refused; its tails are truncated at it)."""
    if not isinstance(spec, dict):
        if quantity is not None and not isinstance(spec, bool):
            value = quantity(spec, field)
            _inside(value, field, spec, low, high, what)
            return Fixed(value)
        if choices is not None:
            return Fixed(choices(spec, field))
        raise InputError(field, spec, f"{what}, or a distribution mapping such as {{dist: normal, mean: ..., sd: ...}}")
    kind = str(spec.get("dist", "")).lower().replace(" ", "_")
    kind = DIST_ALIASES.get(kind, kind)
    numeric = quantity is not None
    allowed = ("normal", "lognormal", "uniform", "truncated_normal") if numeric else ("categorical", "bernoulli")
    if kind not in allowed:
        raise InputError(f"{field}.dist", spec.get("dist"), f"one of {', '.join(allowed)}")
    extra = sorted(set(spec) - KEYS[kind])
    if extra:
        raise InputError(f"{field}.{extra[0]}", spec[extra[0]], f"keys of a {kind} distribution: {sorted(KEYS[kind])}")
    if not numeric:
        return _categorical(spec, kind, field, choices)

    def need(key: str) -> float:
        if key not in spec:
            raise InputError(f"{field}.{key}", None, f"a {key} for a {kind} distribution (keys {sorted(KEYS[kind])})")
        return quantity(spec[key], f"{field}.{key}")

    def bound(key: str, default: float) -> float:
        return quantity(spec[key], f"{field}.{key}") if key in spec else default

    if kind == "uniform":
        lo, hi = need("low"), need("high")
        if not lo < hi:
            raise InputError(f"{field}.high", spec["high"], f"a value above low ({spec['low']})")
        _inside(lo, f"{field}.low", spec["low"], low, high, what)
        _inside(hi, f"{field}.high", spec["high"], low, high, what)
        return Uniform(lo, hi)
    if kind == "truncated_normal" and not ("min" in spec and "max" in spec):
        raise InputError(field, spec, "a truncated_normal with both min and max (or a normal with either)")
    lo, hi = max(bound("min", low), low), min(bound("max", high), high)
    if not lo < hi:
        raise InputError(f"{field}.max", spec.get("max"), "a value above min")
    if kind in ("normal", "truncated_normal"):
        mean, sd = need("mean"), need("sd")
        if sd < 0:
            raise InputError(f"{field}.sd", spec["sd"], "a standard deviation of 0 or more")
        _inside(mean, f"{field}.mean", spec["mean"], lo, hi, what)
        return Normal(mean, sd, lo, hi)
    # lognormal: median and cv, or mean and sd (of the value, not of its log)
    if "median" in spec:
        if "mean" in spec or "sd" in spec:
            raise InputError(
                f"{field}.mean", spec.get("mean", spec.get("sd")), "either median with cv, or mean with sd"
            )
        median = need("median")
        cv = fraction(spec["cv"], f"{field}.cv", "a CV") if "cv" in spec else None
        if cv is None:
            raise InputError(f"{field}.cv", None, "a cv for a lognormal given by its median, e.g. cv: 25 %")
        _inside(median, f"{field}.median", spec["median"], max(lo, 0.0), hi, what + " above 0")
        if median <= 0:
            raise InputError(f"{field}.median", spec["median"], "a median above 0 for a lognormal")
        return Normal(math.log(median), math.sqrt(math.log1p(cv * cv)), max(lo, 0.0), hi, log=True)
    if "cv" in spec:
        raise InputError(f"{field}.cv", spec["cv"], "cv with median (or sd with mean)")
    mean, sd = need("mean"), need("sd")
    if mean <= 0 or sd < 0:
        raise InputError(f"{field}.mean", spec["mean"], "a mean above 0 and an sd of 0 or more for a lognormal")
    _inside(mean, f"{field}.mean", spec["mean"], lo, hi, what)
    sigma2 = math.log1p((sd / mean) ** 2)
    return Normal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), max(lo, 0.0), hi, log=True)


def _inside(value: float, field: str, text, low: float, high: float, what: str) -> None:
    if not low <= value <= high:
        raise InputError(field, text, f"{what} from {low:g} to {high:g}")


def _categorical(spec: dict, kind: str, field: str, choices) -> Categorical:
    if "p" not in spec:
        raise InputError(
            f"{field}.p", None, "probabilities, e.g. p: {female: 60 %, male: 40 %} (or p: 30 % for bernoulli)"
        )
    if kind == "bernoulli":
        p = fraction(spec["p"], f"{field}.p", "a probability")
        return Categorical((True, False), (p, 1.0))
    probs = spec["p"]
    if not isinstance(probs, dict) or not probs:
        raise InputError(
            f"{field}.p", probs, "a mapping of each category to its probability, e.g. {female: 60 %, male: 40 %}"
        )
    values, edges, total = [], [], 0.0
    for key, share in probs.items():
        values.append(choices(key, f"{field}.p.{key}"))
        total += fraction(share, f"{field}.p.{key}", "a probability")
        edges.append(total)
    if abs(total - 1) > 1e-6:
        raise InputError(f"{field}.p", probs, f"probabilities that sum to 100 % (these sum to {100 * total:.4g} %)")
    edges[-1] = 1.0
    return Categorical(tuple(values), tuple(edges))

"""Product chemistry (salt, molar content, routes) loaded from data/products.yaml."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import yaml

ION_MOLAR_MASS = {"K": 39.098, "Na": 22.990, "Mg": 24.305, "Ca": 40.078}
ION_VALENCE = {"K": 1, "Na": 1, "Mg": 2, "Ca": 2}


@dataclass(frozen=True)
class Product:
    name: str
    ion: str
    molar_mass: float
    per_formula: int
    routes: dict[str, dict]
    max_dose_mmol: float
    max_rate_mmol_h: float
    max_bolus_rate_mmol_h: float
    max_daily_mmol: float
    source: str
    aliases: tuple[str, ...] = ()

    def mmol_per_gram(self) -> float:
        return 1000.0 * self.per_formula / self.molar_mass


@functools.lru_cache(maxsize=1)
def products() -> dict[str, Product]:
    """Products by lower-case name."""
    text = resources.files("lytes.data").joinpath("products.yaml").read_text(encoding="utf-8")
    out = {}
    for name, d in yaml.safe_load(text).items():
        out[name.lower()] = Product(
            name=name,
            ion=d["ion"],
            molar_mass=float(d["molar_mass"]),
            per_formula=int(d["per_formula"]),
            routes=d["routes"],
            max_dose_mmol=float(d["max_dose_mmol"]),
            max_rate_mmol_h=float(d["max_rate_mmol_h"]),
            max_bolus_rate_mmol_h=float(d.get("max_bolus_rate_mmol_h", d["max_rate_mmol_h"])),
            max_daily_mmol=float(d["max_daily_mmol"]),
            source=d["source"],
            aliases=tuple(d.get("aliases", ())),
        )
    return out

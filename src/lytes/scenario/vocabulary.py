"""Names as people write them: drugs and products by generic name, brand, abbreviation, salt name or spelling.

Every name and alias lives in the data files (data/drugs.yaml, data/products.yaml) next to its canonical entry.
Matching ignores case, repeated spaces, hyphens and underscores, and British/US spellings (sulph/sulf); an unknown
name is refused in one line with the closest known name.
"""

from __future__ import annotations

import difflib
import functools
import math
import re

from ..errors import InputError

ACUTE_ONLY = ("insulin", "beta2_agonist", "epinephrine")  # drug classes given as doses, not ongoing medications


ROUTES = {
    "oral": ("po", "by mouth", "per os", "orally", "tablet", "oral solution"),
    "iv": ("intravenous", "intravenously", "i.v.", "ivi", "iv bolus", "iv infusion"),
    "im": ("intramuscular", "intramuscularly", "i.m."),
    "subcutaneous": ("sc", "s.c.", "subcut", "sq", "subcutaneously"),
    "nebulized": ("nebulised", "nebuliser", "nebulizer", "neb", "nebulized solution"),
    "inhaled": ("inhaler", "mdi", "metered-dose inhaler", "metered dose inhaler", "puffer", "inhalation"),
}


def route(text) -> str:
    """A route as people write it ('PO', 'intravenous', 'MDI', 'nebulised') as lytes names it; unknown text as is."""
    key = normalise(text).replace("-", " ")
    for name, words in ROUTES.items():
        if key == name or key in (normalise(w) for w in words):
            return name
    return key


def normalise(text) -> str:
    s = str(text).strip().lower().replace("_", " ").replace("-", " ")
    s = re.sub(r"\s+", " ", s)
    return s.replace("sulph", "sulf")


@functools.cache
def _index() -> dict[str, tuple[str, str]]:
    """normalised name or alias -> (kind, canonical key): kind 'drug' (key in drugs()) or 'product' (products())."""
    from .products import products
    from .regimen import drugs

    out: dict[str, tuple[str, str]] = {}

    def add(name, entry):
        key = normalise(name)
        if key in out and out[key] != entry:
            raise ValueError(f"the name {name!r} is given to both {out[key][1]} and {entry[1]} in the data files")
        out[key] = entry

    for key, spec in drugs().items():
        add(key, ("drug", key))
        for alias in spec.get("aliases", []):
            add(alias, ("drug", key))
    for key, product in products().items():
        add(product.name, ("product", key))
        for alias in product.aliases:
            add(alias, ("product", key))
    return out


def names(kind: str | None = None) -> list[str]:
    """Every name a user may write (canonical names and aliases), optionally of one kind."""
    return sorted(k for k, (kd, _) in _index().items() if kind is None or kd == kind)


def lookup(text) -> tuple[str, str] | None:
    """(kind, canonical key) for a name, or None."""
    return _index().get(normalise(text))


def display(kind: str, key: str) -> str:
    """The name lytes shows for an entry: a product's own spelling (KCl, MgSO4), a drug's generic name."""
    from .products import products

    return products()[key].name if kind == "product" else key


def suggestion(text, choices=None) -> str:
    """' (did you mean X?)' for the closest known name (shown as its canonical entry), or ''."""
    pool = [normalise(c) for c in (choices if choices is not None else _index())]
    match = difflib.get_close_matches(normalise(text), pool, n=1, cutoff=0.6)
    if not match:
        return ""
    kind, key = _index()[match[0]]
    return f" (did you mean {display(kind, key)}?)"


def resolve(text, where: str, kinds=("drug", "product"), medication: bool = False) -> tuple[str, str]:
    """(kind, canonical key) for a drug or product name, or a one-line InputError naming the closest one.

    ``medication``: the name must be a drug that can be taken as an ongoing medication (not insulin or a beta-2
    agonist, which are given as doses)."""
    from .regimen import drugs

    found = lookup(text)
    ok = found is not None and found[0] in kinds
    if ok and medication and drugs()[found[1]]["class"] in ACUTE_ONLY:
        ok = False
    if ok:
        return found
    pool = [n for n in names() if _allowed(n, kinds, medication)]
    what = {"drug": "a drug", "product": "a product"}
    allowed = " or ".join(what[k] for k in kinds)
    if medication:
        allowed = "an ongoing medication (insulin, beta-2 agonists and adrenaline are given as doses)"
    if found is not None and not ok:
        shown = display(*found)
        if found[0] == "product":
            how = (
                f"{shown} is a product: give it in interventions, repeated, e.g. "
                f"{{at: 0 h, give: {shown}, dose: 20 mmol, every: 12 h, for: 30 d}}"
            )
        else:
            how = f"{shown} is given as doses in interventions, e.g. {{at: 0 h, give: {shown}, dose: ...}}"
        raise InputError(where, text, f"{'an ongoing medication' if medication else allowed}; {how}")
    raise InputError(
        where, text, f"{allowed} of the vocabulary (README, 'Drugs and products')" + suggestion(text, pool)
    )


def _allowed(name: str, kinds, medication: bool) -> bool:
    from .regimen import drugs

    kind, key = _index()[name]
    if kind not in kinds:
        return False
    return not (medication and drugs()[key]["class"] in ACUTE_ONLY)


def member_inputs(key: str) -> dict[str, float]:
    """The model inputs a drug member sets for its class: absorption, bioavailability, renal and non-renal
    elimination (from its half-life and renal fraction), and its class-specific properties."""
    spec = member_spec(key)
    cls, pk = spec["class"], spec["pk"]
    if cls == "k_binder":  # not absorbed: only the rate it works in the gut, and the Na it releases
        return {"k_binder_ka": float(pk["ka"]), "k_binder_Na_per_K": float(spec["Na_per_K"])}
    ke = math.log(2) / float(pk["half_life"])
    renal = float(pk["renal_fraction"])
    out = {
        f"{cls}_ka": float(pk["ka"]),
        f"{cls}_F": float(pk["F"]),
        f"{cls}_ke_nonrenal": ke * (1 - renal),
        f"{cls}_ke_renal": ke * renal,
    }
    if cls == "beta_blocker":
        out["beta_blocker_beta2_share"] = float(spec["beta2_share"])
    return out


def member_spec(key: str) -> dict:
    """A drug's entry in data/drugs.yaml - including the meal, which only the meal event gives."""
    from .regimen import _data

    return _data("drugs.yaml")[key]

"""The clinical reading: from a patient's labs to findings - states, mechanisms, risks - the way the seeds read them.

Findings carry a stable ``code``, a ``severity`` (info, warn, urgent), the ``values`` they rest on, the ``mechanism``
in one sentence, what to ``consider`` and their ``sources`` (texts in ``data/findings.yaml``; thresholds below, from
PHYSIOLOGY.md section 7). Missing values are not errors: ``missing`` says what was not measured and why it matters.
For education, research and decision support; not a prescription.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from importlib import resources

import yaml

from ..errors import InputError
from ..patient import ckd_epi_2021
from ..result import NOTICE
from ..scenario.products import ION_MOLAR_MASS, ION_VALENCE
from ..units import split

# what a living patient can have (mmol/L; creatinine mg/dL)
LIVING = {
    "K": (1.0, 10.0),
    "Na": (100.0, 190.0),
    "Mg": (0.1, 10.0),
    "Ca": (1.0, 5.0),
    "iCa": (0.4, 3.0),
    "creatinine": (0.1, 30.0),
}
ALIASES = {
    "k": "K",
    "potassium": "K",
    "na": "Na",
    "sodium": "Na",
    "mg": "Mg",
    "magnesium": "Mg",
    "ca": "Ca",
    "calcium": "Ca",
    "ica": "iCa",
    "ionized_ca": "iCa",
    "ionised_ca": "iCa",
    "creatinine": "creatinine",
    "cr": "creatinine",
    "scr": "creatinine",
}


def _members(cls: str) -> set[str]:
    from ..scenario.regimen import drugs

    return {name for name, spec in drugs().items() if spec["class"] == cls}


def _mg_sources() -> set[str]:
    from ..scenario.products import products

    return {key for key, p in products().items() if p.ion == "Mg"}


MG_SOURCES = _mg_sources()
LOOP, THIAZIDE = _members("loop"), _members("thiazide")
BETA_BLOCKERS = _members("beta_blocker")
# drugs and products that raise K (the beta-blockers have their own finding)
K_RAISING = set().union(*(_members(c) for c in ("mra", "acei", "arb", "enac", "heparin", "nsaid", "digoxin"))) | {
    "kcl",
    "k citrate",
    "k phosphate",
}


@dataclass
class Finding:
    code: str
    severity: str  # info | warn | urgent
    values: dict
    summary: str
    mechanism: str
    consider: str
    sources: list[str]


@dataclass
class Assessment:
    labs: dict[str, float]  # mmol/L (creatinine mg/dL), as read
    egfr: float | None
    findings: list[Finding] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notice: str = NOTICE

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def to_dict(self) -> dict:
        return {
            "notice": self.notice,
            "labs_mmol_L": self.labs,
            "egfr": self.egfr,
            "findings": [asdict(f) for f in self.findings],
            "missing": self.missing,
        }


@functools.lru_cache(maxsize=1)
def texts() -> dict:
    return yaml.safe_load(resources.files("lytes.data").joinpath("findings.yaml").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def state_table() -> dict:
    return yaml.safe_load(resources.files("lytes.data").joinpath("state_table.yaml").read_text(encoding="utf-8"))


def parse_lab(name: str, text: str, where: str) -> tuple[str, float]:
    """One lab as (canonical name, mmol/L - creatinine in mg/dL); accepts mmol/L, mEq/L, mg/dL (umol/L for
    creatinine)."""
    key = ALIASES.get(name.strip().lower())
    if key is None:
        raise InputError(where, name, f"a lab among {', '.join(sorted(set(ALIASES.values())))}")
    number, unit = split(text, where)
    u = unit.replace(" ", "").lower().replace("µ", "u")
    if key == "creatinine":
        value = number if u == "mg/dl" else number / 88.42 if u == "umol/l" else None
        allowed = "creatinine in mg/dL or umol/L"
    else:
        ion = "Ca" if key == "iCa" else key
        value = (
            number
            if u == "mmol/l"
            else number / ION_VALENCE[ion]
            if u == "meq/l"
            else (number * 10 / ION_MOLAR_MASS[ion] if u == "mg/dl" else None)
        )
        allowed = f"{key} in mmol/L, mEq/L or mg/dL"
    if value is None:
        raise InputError(where, text, allowed)
    low, high = LIVING[key]
    if not low <= value <= high:
        raise InputError(
            where,
            text,
            f"a {key} a living patient can have ({low:g}-{high:g} {'mg/dL' if key == 'creatinine' else 'mmol/L'})",
        )
    return key, value


def _canonical(name: str) -> str:
    from ..scenario.vocabulary import lookup

    found = lookup(name)
    return found[1] if found else name.strip().lower()


def _finding(code: str, severity: str, values: dict, summary: str) -> Finding:
    t = texts()[code]
    return Finding(code, severity, values, summary, t["mechanism"], t["consider"], list(t["sources"]))


def assess(labs: dict[str, str], **options) -> Assessment:
    """Read the labs (strings with units) into findings; ``options`` as for :func:`assess_values`."""
    values = dict(parse_lab(name, text, f"lab {name}") for name, text in labs.items())
    return assess_values(values, **options)


def assess_values(
    values: dict[str, float],
    age: float = 60,
    sex: str = "male",
    meds: list[str] = (),
    conditions: list[str] = (),
    urine: dict[str, str] | None = None,
    egfr: float | None = None,
) -> Assessment:
    """Findings from labs already in mmol/L (creatinine in mg/dL)."""
    if egfr is None and "creatinine" in values:
        egfr = ckd_epi_2021(values["creatinine"], age, sex)
    meds = [_canonical(m) for m in meds]
    conditions = [c.strip().lower() for c in conditions]
    if egfr is None and "esrd" in conditions:
        egfr = 0.0  # end-stage renal disease: anuric unless a creatinine or eGFR says otherwise
    out = Assessment({k: round(v, 4) for k, v in values.items()}, None if egfr is None else round(egfr, 1))
    k, mg, na, ca, ica = (values.get(x) for x in ("K", "Mg", "Na", "Ca", "iCa"))
    add = out.findings.append

    if k is not None and k < 3.5:
        add(_finding("hypokalemia", "urgent" if k < 2.5 else "warn", {"K": k}, f"K {k:.1f} mmol/L: hypokalaemia"))
    if k is not None and k > 5.0:
        add(_finding("hyperkalemia", "urgent" if k >= 6.0 else "warn", {"K": k}, f"K {k:.1f} mmol/L: hyperkalaemia"))
    if mg is not None and mg < 0.7:
        add(
            _finding(
                "hypomagnesemia", "urgent" if mg < 0.5 else "warn", {"Mg": mg}, f"Mg {mg:.2f} mmol/L: hypomagnesaemia"
            )
        )
    if mg is not None and mg > 1.0:
        add(
            _finding(
                "hypermagnesemia",
                "urgent" if mg >= 2.5 else "warn",
                {"Mg": mg},
                f"Mg {mg:.2f} mmol/L: hypermagnesaemia",
            )
        )
    if (ica is not None and ica < 1.1) or (ica is None and ca is not None and ca < 2.15):
        level = {"iCa": ica} if ica is not None else {"Ca": ca}
        severe = (ica is not None and ica < 0.9) or (ica is None and ca < 1.9)
        add(_finding("hypocalcemia", "urgent" if severe else "warn", level, "low calcium"))
    if na is not None and na < 135:
        add(_finding("hyponatremia", "urgent" if na < 125 else "warn", {"Na": na}, f"Na {na:.0f} mmol/L"))
    if na is not None and na > 145:
        add(_finding("hypernatremia", "urgent" if na > 155 else "warn", {"Na": na}, f"Na {na:.0f} mmol/L"))

    if k is not None and k < 3.5 and mg is None:
        add(_finding("check_magnesium", "warn", {"K": k}, "low K and no Mg measured: measure Mg"))
        out.missing.append("Mg: low K without a Mg level - Mg deficiency makes hypokalaemia refractory")
    if k is not None and k < 3.5 and mg is not None and mg < 0.7:
        add(
            _finding(
                "mg_deficiency_refractory_hypokalemia",
                "urgent" if k < 3.0 else "warn",
                {"K": k, "Mg": mg},
                "low K with low Mg: correct Mg first or together with K",
            )
        )

    if mg is not None and mg < 0.7:
        fe, per_day = _urine_mg(urine or {}, mg, values.get("creatinine"))
        if fe is None and per_day is None:
            out.missing.append("urine Mg (24-h or spot with creatinine): tells renal wasting from extrarenal loss")
        else:
            renal = (fe is not None and fe > 4) or (fe is None and per_day > 1.0)
            extrarenal = (fe is not None and fe < 2) or (fe is None and per_day < 1.0)
            shown = {"FE_Mg_percent": None if fe is None else round(fe, 2), "urine_Mg_mmol_day": per_day}
            if renal:
                add(_finding("renal_mg_wasting", "warn", shown, "the kidney wastes Mg despite hypomagnesaemia"))
            elif extrarenal:
                add(_finding("extrarenal_mg_loss", "info", shown, "the kidney conserves Mg: the loss is elsewhere"))

    sources = sorted(MG_SOURCES & set(meds))
    if sources and egfr is not None and egfr < 30:
        high = mg is not None and mg > 1.0
        add(
            _finding(
                "hypermagnesemia_renal_risk",
                "urgent" if high else "warn",
                {"eGFR": round(egfr, 1), "Mg_sources": sources},
                f"Mg source ({', '.join(sources)}) with eGFR {egfr:.0f}",
            )
        )
    elif sources and egfr is None:
        out.missing.append("kidney function (creatinine or eGFR): a Mg source accumulates when the GFR is low")

    raising = sorted(m for m in meds if m in K_RAISING)
    if raising and k is not None and k > 5.0:
        add(
            _finding(
                "drugs_raise_k",
                "warn",
                {"drugs": raising, "K": k, "eGFR": egfr},
                f"K {k:.1f} on {', '.join(raising)}",
            )
        )

    blockers = sorted(BETA_BLOCKERS & set(meds))
    if blockers and (
        (k is not None and k > 5.0) or (egfr is not None and egfr < 45) or sources or (mg is not None and mg > 1.0)
    ):
        add(
            _finding(
                "beta_blocker_hyperkalemia_risk",
                "warn",
                {"beta_blockers": blockers, "K": k, "eGFR": egfr},
                f"{', '.join(blockers)} with a K load, renal impairment or high Mg",
            )
        )

    diuretics = sorted((LOOP | THIAZIDE) & set(meds))
    if diuretics:
        low = (k is not None and k < 3.5) or (mg is not None and mg < 0.7)
        add(
            _finding(
                "diuretic_depletion",
                "warn" if low else "info",
                {"diuretics": diuretics, "K": k, "Mg": mg},
                f"{', '.join(diuretics)}: " + ("K and/or Mg already low" if low else "monitor K and Mg"),
            )
        )
        if mg is None:
            out.missing.append("Mg: diuretics deplete Mg as well as K")

    if k is not None and (k >= 5.5 or k < 3.0):
        if k >= 8.0:
            text, sev = "K >= 8: loss of P waves, sine wave, VF or asystole possible", "urgent"
        elif k >= 6.5:
            text, sev = "K 6.5-8: PR prolongation, P flattening, QRS widening possible", "urgent"
        elif k >= 5.5:
            text, sev = "K 5.5-6.5: peaked T waves possible", "warn"
        elif k < 2.5:
            text, sev = "K < 2.5: prominent U waves, ST depression, arrhythmia risk", "urgent"
        else:
            text, sev = "K < 3.0: U waves, ST depression, flat T possible", "warn"
        add(_finding("ecg_potassium", sev, {"K": k}, text))

    if mg is not None and mg >= 2.0:
        if mg >= 7.5:
            text, sev = "Mg >= 7.5: complete heart block or arrest possible", "urgent"
        elif mg >= 5.0:
            text, sev = "Mg >= 5: respiratory depression possible; reflexes lost", "urgent"
        elif mg >= 3.5:
            text, sev = "Mg 3.5-5: deep tendon reflexes may be lost", "urgent"
        elif mg >= 2.5:
            text, sev = "Mg 2.5-3.5: deep tendon reflexes depressed", "warn"
        else:
            text, sev = "Mg 2-2.5 (eclampsia target range): monitor reflexes and respiration", "info"
        add(_finding("mg_toxicity", sev, {"Mg": mg}, text))

    for name, reason in (
        ("K", "the commonest dangerous electrolyte disorder"),
        ("Mg", "low Mg drives K wasting"),
        ("creatinine", "kidney function decides Mg and K clearance"),
    ):
        if (
            name not in values
            and not any(name in m for m in out.missing)
            and not (name == "creatinine" and egfr is not None)
        ):
            out.missing.append(f"{name}: {reason}")
    return out


def _urine_mg(urine: dict[str, str], plasma_mg: float, plasma_cr_mg_dl: float | None):
    """(FE_Mg %, 24-h urine Mg mmol/day) from what was given: 'Mg=2 mmol/day', or spot 'Mg' and 'creatinine'."""
    fe = per_day = None
    for name, text in urine.items():
        key = ALIASES.get(name.strip().lower())
        number, unit = split(text, f"urine {name}")
        u = unit.replace(" ", "").lower()
        if key == "Mg" and u in ("mmol/day", "mmol/d", "mmol/24h"):
            per_day = number
        elif key == "Mg" and u in ("mg/day", "mg/d"):
            per_day = number / ION_MOLAR_MASS["Mg"]
    spot_mg, spot_cr = urine.get("Mg") or urine.get("mg"), urine.get("creatinine")
    if spot_mg and spot_cr and plasma_cr_mg_dl:
        n_mg, u_mg = split(spot_mg, "urine Mg")
        n_cr, u_cr = split(spot_cr, "urine creatinine")
        if u_mg.replace(" ", "").lower() == "mmol/l" and u_cr.replace(" ", "").lower() in ("mmol/l", "umol/l"):
            cr_mmol = n_cr if u_cr.lower().startswith("mmol") else n_cr / 1000
            plasma_cr_mmol = plasma_cr_mg_dl * 88.42 / 1000
            fe = 100 * (n_mg * plasma_cr_mmol) / (0.7 * plasma_mg * cr_mmol)
    if per_day is None and fe is None and urine:
        raise InputError(
            "--urine", urine, "'Mg=2 mmol/day' (24-h) or spot 'Mg=... mmol/L' with 'creatinine=... mmol/L'"
        )
    return fe, per_day


def findings_over_time(result, meds=(), egfr: float | None = None, every_h: float | None = None) -> list:
    """Each finding code with the first time (h) it appears in a simulated run (K, Mg, Na and ionized Ca), read
    hourly (or at ~2000 points over long runs)."""
    import numpy as np

    seen: dict[str, tuple[float, Finding]] = {}
    every_h = every_h or max(1.0, result.time_h[-1] / 2000)
    times = np.arange(0.0, result.time_h[-1] + 1e-9, every_h)
    for t in times:
        values = {
            "K": result.at("K_serum", t),
            "Mg": result.at("Mg_serum", t),
            "Na": result.at("Na_serum", t),
            "iCa": result.at("Ca_ionized", t),
        }
        for f in assess_values(values, meds=meds, egfr=egfr).findings:
            if f.code not in seen and f.code not in ("check_magnesium", "diuretic_depletion"):
                seen[f.code] = (float(t), f)
    return sorted(seen.values(), key=lambda tf: tf[0])

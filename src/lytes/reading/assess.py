"""The clinical reading: from a patient's labs to findings - states, mechanisms, risks - the way the clinical literature reads them.

Findings carry a stable ``code``, a ``severity`` (info, warn, urgent), the ``values`` they rest on, the ``mechanism``
in one sentence, what to ``consider`` and their ``sources`` (texts in ``data/findings.yaml``; thresholds below, with the
literature cited there). Missing values are not errors: ``missing`` says what was not measured and why it matters.
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
    "phosphate": (0.1, 6.0),
    "PTH": (0.5, 5000.0),  # pg/mL
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
    "phosphate": "phosphate",
    "phos": "phosphate",
    "po4": "phosphate",
    "pth": "PTH",
}
PHOSPHORUS_G_MOL = 30.974


def _members(cls: str) -> set[str]:
    from ..scenario.regimen import drugs

    return {name for name, spec in drugs().items() if spec["class"] == cls}


def _mg_sources() -> set[str]:
    from ..scenario.products import products

    return {key for key, p in products().items() if p.ion == "Mg"}


MG_SOURCES = _mg_sources()
HIGH_MG = 1.05  # mmol/L: above the reference range (0.70-1.05)
OBSTETRIC = {"pregnancy", "preeclampsia", "eclampsia"}  # conditions in which MgSO4 is given for seizure prophylaxis
LOOP, THIAZIDE = _members("loop"), _members("thiazide")
BETA_BLOCKERS = _members("beta_blocker")
PPIS = _members("ppi")
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
    labs: dict[str, float]  # mmol/L (creatinine mg/dL, PTH pg/mL), as read
    egfr: float | None  # computed from creatinine, given, or assumed: egfr_basis says which
    findings: list[Finding] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notice: str = NOTICE
    egfr_basis: str | None = None
    assumptions: list[str] = field(default_factory=list)  # what was assumed because it was not given
    inputs: dict = field(default_factory=dict)  # the clinical inputs as read (reflexes, ECG, urine output, ...)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def to_dict(self) -> dict:
        return {
            "notice": self.notice,
            "labs_mmol_L": self.labs,
            "egfr": self.egfr,
            "egfr_basis": self.egfr_basis,
            "assumptions": self.assumptions,
            "inputs": self.inputs,
            "findings": [asdict(f) for f in self.findings],
            "missing": self.missing,
        }


@functools.lru_cache(maxsize=1)
def texts() -> dict:
    return yaml.safe_load(resources.files("lytes.data").joinpath("findings.yaml").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def state_table() -> dict:
    return yaml.safe_load(resources.files("lytes.data").joinpath("state_table.yaml").read_text(encoding="utf-8"))


UNIT_SHOWN = {"creatinine": "mg/dL", "PTH": "pg/mL"}


def parse_lab(name: str, text: str, where: str) -> tuple[str, float]:
    """One lab as (canonical name, mmol/L - creatinine in mg/dL, PTH in pg/mL); accepts mmol/L, mEq/L, mg/dL
    (umol/L for creatinine; pg/mL, ng/L or pmol/L for PTH; mmol/L or mg/dL for phosphate)."""
    key = ALIASES.get(name.strip().lower())
    if key is None:
        raise InputError(where, name, f"a lab among {', '.join(sorted(set(ALIASES.values())))}")
    number, unit = split(text, where)
    u = unit.replace(" ", "").lower().replace("µ", "u")
    if key == "creatinine":
        value = number if u == "mg/dl" else number / 88.42 if u == "umol/l" else None
        allowed = "creatinine in mg/dL or umol/L"
    elif key == "PTH":
        value = number if u in ("pg/ml", "ng/l") else number * 9.43 if u == "pmol/l" else None
        allowed = "PTH in pg/mL, ng/L or pmol/L"
    elif key == "phosphate":
        value = number if u == "mmol/l" else number * 10 / PHOSPHORUS_G_MOL if u == "mg/dl" else None
        allowed = "phosphate in mmol/L or mg/dL"
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
            f"a {key} a living patient can have ({low:g}-{high:g} {UNIT_SHOWN.get(key, 'mmol/L')})",
        )
    return key, value


def _shown(key: str) -> str:
    """A drug's or product's name as lytes shows it (KCl, MgSO4; drugs by generic name)."""
    from ..scenario.vocabulary import display, lookup

    found = lookup(key)
    return display(*found) if found else key


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


# clinical inputs: what each may be (lowercase, '-' and ' ' read as '_')
REFLEXES = ("normal", "depressed", "absent")
ECG_HYPERKALAEMIA = ("peaked_t", "wide_qrs", "absent_p", "sine_wave")
ECG_FINDINGS = (*ECG_HYPERKALAEMIA, "u_waves", "long_qt", "normal")
ECG_ALIASES = {
    "peaked_t_waves": "peaked_t",
    "u_wave": "u_waves",
    "prolonged_qt": "long_qt",
    "qt_prolongation": "long_qt",
}
DIALYSIS = {
    "none": "none",
    "no": "none",
    "haemodialysis": "haemodialysis",
    "hemodialysis": "haemodialysis",
    "hd": "haemodialysis",
    "peritoneal": "peritoneal",
    "peritoneal_dialysis": "peritoneal",
    "pd": "peritoneal",
}
OLIGURIA_ML_KG_H = 0.5  # KDIGO 2012 acute kidney injury
DEFAULT_AGE, DEFAULT_SEX, DEFAULT_WEIGHT_KG = 60.0, "male", 70.0


def _word(text) -> str:
    return str(text).strip().lower().replace("-", "_").replace(" ", "_")


def _check_inputs(age, sex, weight, reflexes, resp_rate, ecg, urine_output, dialysis) -> dict:
    """The clinical inputs validated and in canonical form; a bad one raises InputError naming the field."""
    out: dict = {}
    if age is not None:
        if isinstance(age, bool) or not isinstance(age, (int, float)) or not 18 <= age <= 120:
            raise InputError("age", age, "an adult age in years, 18-120")
        out["age"] = float(age)
    if sex is not None:
        if sex not in ("male", "female"):
            raise InputError("sex", sex, "male or female")
        out["sex"] = sex
    if weight is not None:
        from ..units import parse

        kg = (
            float(weight)
            if isinstance(weight, (int, float)) and not isinstance(weight, bool)
            else parse(weight, "weight", "kg", "a body weight, e.g. '80 kg'")
        )
        if not 2 <= kg <= 400:
            raise InputError("weight", weight, "a body weight of 2-400 kg")
        out["weight_kg"] = kg
    if reflexes is not None:
        if _word(reflexes) not in REFLEXES:
            raise InputError("reflexes", reflexes, " / ".join(REFLEXES))
        out["reflexes"] = _word(reflexes)
    if resp_rate is not None:
        rate = resp_rate
        if isinstance(rate, str):
            text = rate.strip().lower().removesuffix("/min").strip()
            try:
                rate = float(text)
            except ValueError:
                rate = None
        if rate is None or isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 80:
            raise InputError("resp_rate", resp_rate, "a respiratory rate in breaths/min, 0-80")
        out["resp_rate"] = float(rate)
    if ecg:
        items = [ecg] if isinstance(ecg, str) else list(ecg)
        seen = []
        for item in items:
            word = _word(item) if isinstance(item, str) else None
            word = ECG_ALIASES.get(word, word)
            if word not in ECG_FINDINGS:
                raise InputError("ecg", item, " / ".join(ECG_FINDINGS))
            if word != "normal" and word not in seen:
                seen.append(word)
        out["ecg"] = seen
    if urine_output is not None:
        number, unit = split(urine_output, "urine_output")
        u = unit.replace(" ", "").lower()
        per_h = {"ml/h": 1, "ml/hr": 1, "ml/hour": 1, "ml/day": 1 / 24, "ml/d": 1 / 24, "ml/24h": 1 / 24}
        per_h |= {"l/day": 1000 / 24, "l/d": 1000 / 24, "l/24h": 1000 / 24}
        if u in ("ml/kg/h", "ml/kg/hr"):
            out["urine_output_mL_kg_h"] = number
            per_h_value = None
        elif u in per_h:
            per_h_value = number * per_h[u]
        else:
            raise InputError("urine_output", urine_output, "a urine output in mL/h, mL/day, L/day or mL/kg/h")
        if number < 0 or (per_h_value is not None and per_h_value > 2000) or number > 2000:
            raise InputError("urine_output", urine_output, "a urine output of 0-2000 mL/h")
        if per_h_value is not None:
            out["urine_output_mL_h"] = round(per_h_value, 2)
    if dialysis is not None:
        if _word(dialysis) not in DIALYSIS:
            raise InputError("dialysis", dialysis, "none / haemodialysis / peritoneal")
        out["dialysis"] = DIALYSIS[_word(dialysis)]
    return out


def assess_values(
    values: dict[str, float],
    age: float | None = None,
    sex: str | None = None,
    meds: list[str] = (),
    conditions: list[str] = (),
    urine: dict[str, str] | None = None,
    egfr: float | None = None,
    weight: str | float | None = None,
    reflexes: str | None = None,
    resp_rate: float | str | None = None,
    ecg: list[str] | str | None = None,
    urine_output: str | None = None,
    dialysis: str | None = None,
) -> Assessment:
    """Findings from labs already in mmol/L (creatinine in mg/dL, PTH in pg/mL) and the clinical inputs: deep
    tendon ``reflexes`` (normal/depressed/absent), ``resp_rate`` (/min), ``ecg`` findings (peaked_t, wide_qrs,
    absent_p, sine_wave, u_waves, long_qt), ``urine_output`` ('30 mL/h', '600 mL/day'), ``dialysis``
    (none/haemodialysis/peritoneal) and ``weight`` (for mL/kg/h). ``age`` and ``sex`` are used for the eGFR from a
    creatinine; when not given, the eGFR assumes a 60-year-old man and says so in ``assumptions``."""
    given = _check_inputs(age, sex, weight, reflexes, resp_rate, ecg, urine_output, dialysis)
    meds = [_canonical(m) for m in meds]
    conditions = [c.strip().lower() for c in conditions]
    on_dialysis = given.get("dialysis", "none") != "none"
    assumptions: list[str] = []
    basis = None
    if egfr is not None:
        basis = "given"
    elif "creatinine" in values and not on_dialysis:
        unknown = [w for w, key in (("age 60", "age"), ("male", "sex")) if key not in given]
        egfr = ckd_epi_2021(values["creatinine"], given.get("age", DEFAULT_AGE), given.get("sex", DEFAULT_SEX))
        basis = "CKD-EPI 2021 from creatinine"
        if unknown:
            basis += f"; assumed {', '.join(unknown)}"
            flags = " and ".join(f"--{key}" for key in ("age", "sex") if key not in given)
            assumptions.append(f"eGFR assumes {', '.join(unknown)}: give {flags}")
        if "aki" in conditions:  # CKD-EPI needs a steady creatinine (Levey AS et al. 2021 KDIGO AKI/CKD guidance)
            assumptions.append(
                "in acute kidney injury creatinine is not at a steady state: the eGFR from it overstates the kidney"
            )
    elif on_dialysis:
        on = "haemodialysis" if given["dialysis"] == "haemodialysis" else "peritoneal dialysis"
        basis = f"not estimated: on {on}, creatinine reflects dialysis, not the kidney"
    if egfr is None and "esrd" in conditions and not on_dialysis:
        egfr = 0.0  # end-stage renal disease: anuric unless a creatinine or eGFR says otherwise
        basis = "assumed 0: --condition esrd (anuric)"
    kidney_failed = on_dialysis or "esrd" in conditions or (egfr is not None and egfr < 15)
    out = Assessment({k: round(v, 4) for k, v in values.items()}, None if egfr is None else round(egfr, 1))
    out.egfr_basis, out.assumptions, out.inputs = basis, assumptions, given
    k, mg, na, ca, ica = (values.get(x) for x in ("K", "Mg", "Na", "Ca", "iCa"))
    phos, pth = values.get("phosphate"), values.get("PTH")
    ecg_seen = given.get("ecg", [])
    hyperk_ecg = [e for e in ecg_seen if e in ECG_HYPERKALAEMIA]
    add = out.findings.append
    sources = sorted(MG_SOURCES & set(meds))
    if "digoxin" in meds:
        low = (k is not None and k < 3.5) or (mg is not None and mg < 0.7)
        high = k is not None and k > 5.0
        if low or high:
            add(
                _finding(
                    "digoxin_toxicity_risk",
                    "urgent" if (high and k >= 5.5) else "warn",
                    {"K": k, "Mg": mg},
                    "digoxin with "
                    + ("a high K: possible acute toxicity" if high else "low K and/or Mg: toxicity at a lower level"),
                )
            )
        out.missing.append("digoxin level: toxicity depends on it as well as on K and Mg")

    raising = sorted(m for m in meds if m in K_RAISING)

    if k is not None and k < 3.5:
        severe = k < 2.5 or "u_waves" in ecg_seen or "long_qt" in ecg_seen
        add(_finding("hypokalemia", "urgent" if severe else "warn", {"K": k}, f"K {k:.1f} mmol/L: hypokalaemia"))
    if k is not None and k > 5.0:
        severe = k >= 6.0 or bool(hyperk_ecg)
        add(_finding("hyperkalemia", "urgent" if severe else "warn", {"K": k}, f"K {k:.1f} mmol/L: hyperkalaemia"))
    if mg is not None and mg < 0.7:
        add(
            _finding(
                "hypomagnesemia", "urgent" if mg < 0.5 else "warn", {"Mg": mg}, f"Mg {mg:.2f} mmol/L: hypomagnesaemia"
            )
        )
    prophylaxis = "mgso4" in meds and bool(OBSTETRIC & set(conditions))
    calm = given.get("reflexes") in (None, "normal") and given.get("resp_rate", 99) >= 12
    if mg is not None and mg > HIGH_MG and prophylaxis and mg < 3.5 and calm:
        # MgSO4 for eclampsia prophylaxis aims at this level: a reading of the level, not of an excess to remove
        where = "below" if mg < 1.8 else "within" if mg <= 3.0 else "above"
        add(
            _finding(
                "mg_prophylaxis_level",
                "info" if mg <= 3.0 else "warn",
                {"Mg": mg},
                f"Mg {mg:.2f} mmol/L on MgSO4: {where} the range aimed at for eclampsia prophylaxis (1.8-3.0 mmol/L)",
            )
        )
    elif mg is not None and mg > HIGH_MG:
        signs = given.get("reflexes") == "absent" or given.get("resp_rate", 99) < 12
        add(
            _finding(
                "hypermagnesemia",
                "urgent" if mg >= 3.5 or signs else "warn",
                {"Mg": mg},
                f"Mg {mg:.2f} mmol/L: hypermagnesaemia",
            )
        )
    low_ca = (ica is not None and ica < 1.1) or (ica is None and ca is not None and ca < 2.15)
    if low_ca:
        level = {"iCa": ica} if ica is not None else {"Ca": ca}
        severe = (ica is not None and ica < 0.9) or (ica is None and ca < 1.9)
        name, value = next(iter(level.items()))
        what = "ionized Ca" if name == "iCa" else "total Ca"
        add(
            _finding("hypocalcemia", "urgent" if severe else "warn", level, f"{what} {value:.2f} mmol/L: hypocalcaemia")
        )
    high_ca = (ica is not None and ica > 1.35) or (ica is None and ca is not None and ca > 2.6)
    if high_ca:
        level = {"iCa": ica} if ica is not None else {"Ca": ca}
        severe = (ica is not None and ica >= 1.8) or (ica is None and ca >= 3.5)
        name, value = next(iter(level.items()))
        what = "ionized Ca" if name == "iCa" else "total Ca"
        add(
            _finding(
                "hypercalcemia", "urgent" if severe else "warn", level, f"{what} {value:.2f} mmol/L: hypercalcaemia"
            )
        )
    if na is not None and na < 135:
        add(_finding("hyponatremia", "urgent" if na < 125 else "warn", {"Na": na}, f"Na {na:.0f} mmol/L"))
    if na is not None and na > 145:
        add(_finding("hypernatremia", "urgent" if na > 155 else "warn", {"Na": na}, f"Na {na:.0f} mmol/L"))
    if phos is not None and phos < 0.8:
        add(
            _finding(
                "hypophosphatemia",
                "urgent" if phos < 0.32 else "warn",
                {"phosphate": phos},
                f"phosphate {phos:.2f} mmol/L: hypophosphataemia"
                + ("; with low K or Mg: refeeding risk" if (k or 9) < 3.5 or (mg or 9) < 0.7 else ""),
            )
        )
    if phos is not None and phos > 1.5:
        add(
            _finding(
                "hyperphosphatemia",
                "warn",
                {"phosphate": phos},
                f"phosphate {phos:.2f} mmol/L: hyperphosphataemia" + ("; with low Ca" if low_ca else ""),
            )
        )
    if low_ca and pth is not None:
        if pth <= 65 and mg is not None and mg < 0.7:
            sev, text = "warn", f"PTH {pth:g} pg/mL not raised with low Mg: Mg deficiency blocks PTH secretion"
        elif pth <= 65 and mg is not None and mg > 1.0:
            sev, text = "warn", f"PTH {pth:g} pg/mL suppressed with high Mg: Mg suppresses PTH"
        elif pth <= 65:
            sev, text = "info", f"PTH {pth:g} pg/mL not raised with low Ca: hypoparathyroidism (or Mg: measure it)"
        else:
            sev, text = "info", f"PTH {pth:g} pg/mL raised: secondary (vitamin D deficiency, CKD, high phosphate)"
        add(_finding("hypocalcemia_pth", sev, {"PTH_pg_mL": pth, "Mg": mg, "phosphate": phos}, text))
    elif low_ca and pth is None:
        out.missing.append("PTH (with Mg): tells Mg-deficiency PTH failure from hypo- or secondary hyperparathyroidism")

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

    urine_read = _urine(urine or {}, values, mg is not None and mg < 0.7, k is not None and k < 3.5)
    out.missing.extend(urine_read.pop("missing"))
    if mg is not None and mg < 0.7:
        fe, per_day = urine_read["FE_Mg_percent"], urine_read["urine_Mg_mmol_day"]
        if fe is None and per_day is None:
            out.missing.append("urine Mg (24-h or spot with creatinine): tells renal wasting from extrarenal loss")
        else:
            shown = {"FE_Mg_percent": None if fe is None else round(fe, 2), "urine_Mg_mmol_day": per_day}
            measure = fe if fe is not None else per_day
            low, high = (2.0, 4.0) if fe is not None else (1.0, 1.0)
            if measure > high:
                add(_finding("renal_mg_wasting", "warn", shown, "the kidney wastes Mg despite hypomagnesaemia"))
            elif measure < low:
                add(_finding("extrarenal_mg_loss", "info", shown, "the kidney conserves Mg: the loss is elsewhere"))
            else:
                text = f"FE_Mg {fe:.1f} %" if fe is not None else f"urine Mg {per_day:g} mmol/day"
                add(_finding("fe_mg_indeterminate", "info", shown, f"{text}: between renal and extrarenal"))
    if k is not None and k < 3.5:
        ratio, per_day = urine_read["urine_K_creatinine_mmol_mmol"], urine_read["urine_K_mmol_day"]
        shown = {"urine_K_creatinine_mmol_mmol": ratio, "urine_K_mmol_day": per_day}
        if ratio is None and per_day is None:
            if not (LOOP | THIAZIDE) & set(meds):
                out.missing.append("urine K (spot with creatinine or 24-h): tells renal K loss from GI loss or shift")
        elif (ratio is not None and ratio > 1.5) or (ratio is None and per_day > 20):
            add(_finding("renal_k_loss", "warn", shown, "the kidney excretes K despite hypokalaemia"))
        else:
            add(_finding("extrarenal_k_loss", "info", shown, "the kidney conserves K: GI loss, poor intake or shift"))

    if sources and ((egfr is not None and egfr < 30) or kidney_failed):
        high = mg is not None and mg > 1.0
        where = f"eGFR {egfr:.0f}" if egfr is not None else f"{given['dialysis']} dialysis"
        add(
            _finding(
                "hypermagnesemia_renal_risk",
                "urgent" if high else "warn",
                {
                    "eGFR": None if egfr is None else round(egfr, 1),
                    "dialysis": given.get("dialysis"),
                    "Mg_sources": sources,
                },
                f"Mg source ({', '.join(sources)}) with {where}",
            )
        )
    elif sources and egfr is None:
        out.missing.append("kidney function (creatinine or eGFR): a Mg source accumulates when the GFR is low")

    if raising and k is not None and k > 5.0:
        add(
            _finding(
                "drugs_raise_k",
                "warn",
                {"drugs": raising, "K": k, "eGFR": egfr},
                f"K {k:.1f} on {', '.join(_shown(m) for m in raising)}",
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
    high_k_or_mg = (k is not None and k > 5.0) or (mg is not None and mg > HIGH_MG)
    if diuretics and not high_k_or_mg:
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

    # clinical signs (ACOG 2020; Euser & Cipolla 2009; UK Kidney Association 2020; KDIGO 2012; Drew 2010)
    reflex, rate = given.get("reflexes"), given.get("resp_rate")
    signs = []
    if reflex in ("depressed", "absent"):
        signs.append(f"reflexes {reflex}")
    if rate is not None and rate < 12:
        signs.append(f"respiratory rate {rate:g}/min")
    if signs and ((mg is not None and mg > 1.0) or (mg is None and sources)):
        urgent = reflex == "absent" or (rate is not None and rate < 12)
        add(
            _finding(
                "mg_toxicity_signs",
                "urgent" if urgent else "warn",
                {"reflexes": reflex, "resp_rate": rate, "Mg": mg, "Mg_sources": sources},
                f"{' and '.join(signs)}"
                + (f" with Mg {mg:.2f} mmol/L" if mg is not None else f" on {', '.join(sources)}")
                + (
                    ": consider stopping the Mg source and giving calcium gluconate (see options)"
                    if urgent
                    else ": consider withholding the next Mg dose"
                ),
            )
        )
    elif signs and mg is None:
        out.missing.append(f"Mg: {' and '.join(signs)} - Mg toxicity depresses reflexes and breathing")

    if hyperk_ecg and (k is None or k > 5.0):
        add(
            _finding(
                "hyperkalemia_ecg_changes",
                "urgent",
                {"ECG": hyperk_ecg, "K": k},
                f"{', '.join(hyperk_ecg)}"
                + (f" with K {k:.1f} mmol/L" if k is not None else " and no K measured: treat as hyperkalaemia")
                + ": the ECG says the membrane is affected whatever the K - IV calcium is the usual first step (see options)",
            )
        )
    if "u_waves" in ecg_seen and (k is None or k < 3.5):
        add(
            _finding(
                "hypokalemia_ecg_changes",
                "urgent" if k is not None else "warn",
                {"ECG": ["u_waves"], "K": k, "Mg": mg},
                "U waves"
                + (
                    f" with K {k:.1f} mmol/L: repletion is usually IV, with Mg (see options)"
                    if k is not None
                    else ": K and Mg should be measured"
                ),
            )
        )
    if "long_qt" in ecg_seen:
        low = {
            name: v
            for name, v, bad in (
                ("K", k, k is not None and k < 3.5),
                ("Mg", mg, mg is not None and mg < 0.7),
                ("iCa" if ica is not None else "Ca", ica if ica is not None else ca, low_ca),
            )
            if bad
        }
        if low:
            add(
                _finding(
                    "long_qt_electrolytes",
                    "urgent",
                    {"ECG": ["long_qt"], **low},
                    f"long QT with low {', '.join(low)}: torsades risk - IV Mg and K towards 4-5 are usual (see options)",
                )
            )

    urine_h = given.get("urine_output_mL_h")
    per_kg = given.get("urine_output_mL_kg_h")
    if urine_h is not None:
        kg = given.get("weight_kg")
        if kg is None:
            kg = DEFAULT_WEIGHT_KG
            assumptions.append("urine output per kg assumes 70 kg: give --weight")
        per_kg = urine_h / kg
    if per_kg is not None and per_kg < OLIGURIA_ML_KG_H:
        k_salts = sorted(m for m in raising if m in ("kcl", "k citrate", "k phosphate"))
        load = sources or raising or (k is not None and k > 5.0) or (mg is not None and mg > 1.0)
        if load:
            high = (k is not None and k > 5.0) or (mg is not None and mg > 1.0)
            what = ", ".join(sources + [m for m in raising if m not in k_salts] + k_salts) or "high K or Mg"
            add(
                _finding(
                    "oliguria_accumulation_risk",
                    "urgent" if high else "warn",
                    {
                        "urine_output_mL_kg_h": round(per_kg, 2),
                        "Mg_sources": sources,
                        "K_raising": raising,
                        "K": k,
                        "Mg": mg,
                    },
                    f"urine output {per_kg:.2f} mL/kg/h (< 0.5) with {what}: Mg and K accumulate",
                )
            )
        elif k is None and mg is None:
            out.missing.append("K and Mg: oliguria lowers their excretion")

    _ask_missing(out, values, given, meds, sources, raising, egfr, kidney_failed, ecg_seen, per_kg)
    return out


def _ask_missing(out, values, given, meds, sources, raising, egfr, kidney_failed, ecg_seen, per_kg) -> None:
    """Add to ``missing`` only the labs that would change this patient's reading."""
    k, mg = values.get("K"), values.get("Mg")
    have = " ".join(out.missing)
    mg_drugs = sorted(set(meds) & (LOOP | THIAZIDE | PPIS | MG_SOURCES))
    reasons = {
        "K": [
            (mg is not None and (mg < 0.7 or mg > 1.0), "abnormal Mg moves K (ROMK, pump)"),
            (bool(raising), f"{', '.join(raising)} raise K"),
            (bool(BETA_BLOCKERS & set(meds)), "beta-blockers raise K with a K load"),
            (bool(ecg_seen), "the ECG findings need the K level"),
            (kidney_failed or (egfr is not None and egfr < 30), "K is retained when the GFR is low"),
            (per_kg is not None and per_kg < OLIGURIA_ML_KG_H, "oliguria retains K"),
        ],
        "Mg": [
            (bool(mg_drugs), f"{', '.join(mg_drugs)} change Mg"),
            (k is not None and k > 5.0 and kidney_failed, "Mg is retained with K in kidney failure"),
            ("long_qt" in ecg_seen, "low Mg with a long QT risks torsades"),
            (any(f.code == "hypocalcemia" for f in out.findings), "Mg deficiency or excess lowers PTH and Ca"),
            (any(f.code == "hypophosphatemia" for f in out.findings), "refeeding lowers Mg with phosphate"),
        ],
        "creatinine": [
            (bool(raising), "their effect on K is largest when the GFR is low"),
            (k is not None and k > 5.0, "high K is usually reduced renal excretion"),
            (mg is not None and mg > 1.0, "high Mg is usually a Mg source with reduced renal clearance"),
        ],
    }
    for name, why in reasons.items():
        if name in values or any(m.startswith(name) for m in out.missing):
            continue
        if name == "creatinine" and (egfr is not None or kidney_failed or "creatinine" in have):
            continue
        why = [text for cond, text in why if cond]
        if why:
            out.missing.append(f"{name}: {'; '.join(why)}")


def _spot(name: str, text: str) -> tuple[str, float]:
    """A urine value as (kind, number): kind 'day' (mmol/day) or 'spot' (mmol/L)."""
    key = ALIASES.get(name.strip().lower())
    where = f"urine {name}"
    if key not in ("Mg", "K", "creatinine"):
        raise InputError("--urine", name, "urine Mg, K or creatinine")
    number, unit = split(text, where)
    u = unit.replace(" ", "").lower().replace("µ", "u").replace("meq", "mmol" if key == "K" else "meq")
    if number < 0:
        raise InputError(where, text, "a urine value >= 0")
    if key == "creatinine":
        scale = {"mmol/l": 1.0, "umol/l": 1e-3, "mg/dl": 88.42e-3}
        if u in scale:
            return "spot", number * scale[u]
        raise InputError(where, text, "urine creatinine in mmol/L, umol/L or mg/dL")
    molar = ION_MOLAR_MASS[key]
    day = {
        "mmol/day": 1.0,
        "mmol/d": 1.0,
        "mmol/24h": 1.0,
        "mg/day": 1 / molar,
        "mg/d": 1 / molar,
        "mg/24h": 1 / molar,
        "meq/day": 0.5,
        "meq/d": 0.5,
        "meq/24h": 0.5,
    }
    spot = {"mmol/l": 1.0, "mg/dl": 10 / molar, "meq/l": 0.5}
    if u in day:
        return "day", number * day[u]
    if u in spot:
        return "spot", number * spot[u]
    raise InputError(where, text, f"urine {key} in mmol/day, mg/day (24-h), mmol/L or mg/dL (spot)")


def _urine(urine: dict[str, str], values: dict[str, float], low_mg: bool, low_k: bool) -> dict:
    """FE_Mg (%), 24-h urine Mg and K (mmol/day) and the spot urine K/creatinine (mmol/mmol) from what was given:
    'Mg=2 mmol/day', 'K=40 mmol/day', or spot 'Mg', 'K' and 'creatinine' in mmol/L or mg/dL (creatinine also
    umol/L). What is given but cannot be used yet is said in ``missing``."""
    read = {ALIASES.get(n.strip().lower()): _spot(n, t) for n, t in urine.items()}
    out = {"FE_Mg_percent": None, "urine_Mg_mmol_day": None, "urine_K_mmol_day": None}
    out["urine_K_creatinine_mmol_mmol"], out["missing"] = None, []
    cr = read.get("creatinine")
    for ion, wanted in (("Mg", low_mg), ("K", low_k)):
        kind, number = read.get(ion, (None, None)) if wanted else (None, None)
        if kind == "day":
            out[f"urine_{ion}_mmol_day"] = round(number, 3)
        elif kind == "spot" and cr is None:
            out["missing"].append(f"urine creatinine: the spot urine {ion} needs it (same sample)")
        elif kind == "spot" and ion == "K":
            out["urine_K_creatinine_mmol_mmol"] = round(number / cr[1], 2) if cr[1] > 0 else None
        elif kind == "spot" and ion == "Mg":
            plasma_cr, plasma_mg = values.get("creatinine"), values.get("Mg")
            if plasma_cr is None:
                out["missing"].append("serum creatinine: FE_Mg from the spot urine Mg needs it (--lab creatinine=...)")
            elif plasma_mg is not None and cr[1] > 0:
                out["FE_Mg_percent"] = 100 * (number * plasma_cr * 88.42e-3) / (0.7 * plasma_mg * cr[1])
    return out

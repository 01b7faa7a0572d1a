"""The patient: weight, height (optional), sex, age, kidney function (eGFR, or serum creatinine via CKD-EPI 2021), pregnancy.

An eGFR of 0 is an anuric kidney (end-stage renal disease without residual function): no urine, so the patient's
chronic state needs a standing dialysis prescription (``scenario/dialysis.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import InputError

DEFAULT_EGFR = 100.0  # mL/min/1.73 m2, healthy adult (the kidney's calibration point, gfr_ref)
PREGNANCY_EGFR = 150.0  # GFR rises ~50 % in pregnancy (Cheung & Lafayette, Adv Chronic Kidney Dis 2013)


def ckd_epi_2021(creatinine_mg_dl: float, age_y: float, sex: str) -> float:
    """eGFR (mL/min/1.73 m2) from serum creatinine by the race-free CKD-EPI 2021 equation (Inker, NEJM 2021)."""
    female = sex == "female"
    kappa = 0.7 if female else 0.9
    alpha = -0.241 if female else -0.302
    ratio = creatinine_mg_dl / kappa
    egfr = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.200 * 0.9938**age_y
    return egfr * (1.012 if female else 1.0)


@dataclass(frozen=True)
class Patient:
    weight_kg: float = 70.0
    sex: str = "male"
    age_y: float = 40.0
    egfr: float | None = None  # mL/min/1.73 m2
    creatinine_mg_dl: float | None = None
    height_cm: float | None = None  # None: the sex's mean adult height (parameter table)
    conditions: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if not 2 <= self.weight_kg <= 400:
            raise InputError("patient.weight", f"{self.weight_kg} kg", "a body weight between 2 and 400 kg")
        if self.sex not in ("male", "female"):
            raise InputError("patient.sex", self.sex, "'male' or 'female'")
        if not 0 <= self.age_y <= 120:
            raise InputError("patient.age", f"{self.age_y} y", "an age between 0 and 120 years")
        if self.egfr is not None and not 0 <= self.egfr <= 250:
            raise InputError(
                "patient.egfr", f"{self.egfr} mL/min/1.73m2", "an eGFR from 0 (anuric) to 250 mL/min/1.73m2"
            )
        if self.creatinine_mg_dl is not None and not 0.1 <= self.creatinine_mg_dl <= 30:
            raise InputError(
                "patient.creatinine", f"{self.creatinine_mg_dl} mg/dL", "a serum creatinine between 0.1 and 30 mg/dL"
            )
        if self.height_cm is not None and not 40 <= self.height_cm <= 250:
            raise InputError("patient.height", f"{self.height_cm:g} cm", "a height between 40 and 250 cm")
        bmi = None if self.height_cm is None else self.weight_kg / (self.height_cm / 100) ** 2
        if bmi is not None and not 8 <= bmi <= 200:
            raise InputError(
                "patient.height",
                f"{self.height_cm:g} cm",
                f"a height that with {self.weight_kg:g} kg gives a body mass index of 8-200 kg/m2 (it gives {bmi:.0f})",
            )
        if self.pregnant and self.sex != "female":
            raise InputError("patient.conditions", "pregnancy", "pregnancy only for a female patient")

    @property
    def pregnant(self) -> bool:
        return "pregnancy" in self.conditions or "preeclampsia" in self.conditions

    @property
    def egfr_value(self) -> float:
        """eGFR in mL/min/1.73 m2: as given, else from creatinine, else the healthy default."""
        if self.egfr is not None:
            return self.egfr
        if self.creatinine_mg_dl is not None:
            return ckd_epi_2021(self.creatinine_mg_dl, self.age_y, self.sex)
        return PREGNANCY_EGFR if self.pregnant else DEFAULT_EGFR

    def model_parameters(self) -> dict[str, float]:
        """The patient's entries in the model's parameter vector (model units). eGFR is used as absolute GFR
        (modelling choice: de-indexing needs height, which most scenarios do not give)."""
        return {
            "weight": self.weight_kg,
            "male": 1.0 if self.sex == "male" else 0.0,
            "pregnant": 1.0 if self.pregnant else 0.0,
            "gfr": self.egfr_value * 0.06,  # mL/min -> L/h
            "height": (self.height_cm or 0.0) / 100,  # m; 0 with height_given 0 takes the table's default
            "height_given": 0.0 if self.height_cm is None else 1.0,
        }

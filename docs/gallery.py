"""Regenerate the README gallery: python docs/gallery.py (writes docs/img/*.png)."""

from pathlib import Path

import lytes

OUT = Path(__file__).parent / "img"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    lytes.simulate("refractory_hypokalemia").plot(
        OUT / "refractory_hypokalemia.png",
        names=("K_serum", "Mg_serum", "K_urine", "Mg_cell_free", "romk_activity", "pump_activity"),
    )
    lytes.simulate("mgso4_renal_impairment").plot(
        OUT / "mgso4_renal_impairment.png", names=("Mg_serum", "K_serum", "Ca_ionized", "PTH", "FE_Mg", "romk_activity")
    )


if __name__ == "__main__":
    main()

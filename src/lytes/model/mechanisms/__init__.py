"""One physiological mechanism per module; each exposes ``build(m: ModelBuilder)``.

The order in :data:`MECHANISMS` is the order the model is assembled in; later modules may use variables that earlier
ones declared (``m.get(name)``).
"""

from . import (
    aldosterone,
    body,
    bone_ca,
    dialysis,
    drugs,
    gut,
    kidney_ca,
    kidney_k,
    kidney_mg,
    kidney_na,
    mg_exchange,
    pth,
    pump,
    trpm6,
)

MECHANISMS = (
    body,
    drugs,
    gut,
    aldosterone,
    pump,
    kidney_k,
    kidney_na,
    mg_exchange,
    trpm6,
    kidney_mg,
    pth,
    bone_ca,
    kidney_ca,
    dialysis,
)

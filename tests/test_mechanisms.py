"""Single mechanisms checked at the model layer, where a scenario cannot yet reach them (issue 3 adds the drugs and
diseases that drive them)."""


def variables(c, p, u, y):
    return {k: v[0] for k, v in zip(c.layout.outputs, c.algebraic(y[:, None], p, u[:, None]))}


def pth_drive(c, p, u, y, mg_total):
    """Sign and size of dPTH/dt when serum Mg is set to ``mg_total`` at otherwise normal state."""
    y = y.copy()
    y[c.index["Mg_ecf"]] = mg_total * y[c.index["V_ecf"]]
    return c.rhs(y, 0.0, p, u)[c.index["PTH"]]


def test_pth_secretion_falls_with_high_mg_and_fails_in_severe_deficiency(model):
    c, p, u, y = model
    assert pth_drive(c, p, u, y, 2.5) < 0  # hypermagnesaemia suppresses PTH (Cholst 1984)
    # deficiency: low Mg does not stimulate PTH as low Ca would; secretion starts failing near 0.6 (Fatemi 1991: PTH
    # fell or stayed in 20 of 26) and fails outright near 0.25 (Suh 1973)
    assert pth_drive(c, p, u, y, 0.6) < 0
    assert pth_drive(c, p, u, y, 0.2) < pth_drive(c, p, u, y, 0.6)


def test_thiazide_like_dct_block_wastes_mg_and_tal_block_wastes_more(model):
    c, p, u, y = model
    base = variables(c, p, u, y)["Mg_urinary"]
    dct = u.copy()
    dct[c.input_index["dct_Mg_factor"]] = 0.5
    tal = u.copy()
    tal[c.input_index["tal_Mg_factor"]] = 0.5
    assert variables(c, p, dct, y)["Mg_urinary"] > 1.2 * base
    assert variables(c, p, tal, y)["Mg_urinary"] > variables(c, p, dct, y)["Mg_urinary"]


def test_romk_block_release_raises_secretion_more_with_high_distal_na(model):
    # Huang & Kuo 2007: Mg deficiency needs distal Na delivery (or aldosterone) to waste K
    c, p, u, y = model
    low_mg = y.copy()
    low_mg[c.index["Mg_ecf"]] *= 0.7  # renal tubular cells follow plasma Mg within hours (their free Mg blocks ROMK)
    rich_na = u.copy()
    rich_na[c.input_index["distal_Na_delivery_factor"]] = 2.0
    gain_normal = variables(c, p, u, low_mg)["K_distal_secretion"] / variables(c, p, u, y)["K_distal_secretion"]
    gain_rich = (
        variables(c, p, rich_na, low_mg)["K_distal_secretion"] / variables(c, p, rich_na, y)["K_distal_secretion"]
    )
    assert gain_normal > 1.0
    assert gain_rich > gain_normal


def test_beta2_and_insulin_shift_k_into_cells(model):
    c, p, u, y = model
    for name in ("pump_insulin", "pump_beta2"):
        stim = u.copy()
        stim[c.input_index[name]] = 1.1
        assert c.rhs(y, 0.0, p, stim)[c.index["K_icf"]] > 0
        # the cells take it from the muscle interstitial fluid, which plasma then refills
        assert c.rhs(y, 0.0, p, stim)[c.index["K_isf"]] < 0


def test_low_muscle_mg_lowers_pump_content_but_a_fast_fall_of_free_mg_barely_moves_the_pump(model):
    # Dorup 1987/1993: Mg depletion cuts muscle pump content, restored only over weeks of Mg; the Mg-ATP substrate
    # effect of cytosolic Mg itself is small (Romani 2011: Mg-ATP Kd 0.05-0.1 mM, so ATP stays mostly Mg-bound)
    c, p, u, y = model
    low_muscle = y.copy()
    low_muscle[c.index["Mg_cell"]] *= 0.85
    assert c.rhs(low_muscle, 0.0, p, u)[c.index["N_pump"]] < 0  # pump content heads down
    low_free = y.copy()
    low_free[c.index["Mg_cell_fast"]] *= 0.8
    assert 0.97 < variables(c, p, u, low_free)["pump_capacity"] <= 1.0

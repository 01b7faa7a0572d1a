"""The rows of a run's summary (the CLI's table, the web page's): series and how each is printed."""

SUMMARY = [
    ("K_serum", "{:.2f}"),
    ("Mg_serum", "{:.2f}"),
    ("Mg_ionized", "{:.2f}"),
    ("Ca_ionized", "{:.2f}"),
    ("Ca_total", "{:.2f}"),
    ("Na_serum", "{:.1f}"),
    ("PTH", "{:.1f}"),
    ("aldosterone", "{:.0f}"),
    ("K_cell", "{:.1f}"),
    ("Na_cell", "{:.1f}"),
    ("Mg_cell_free", "{:.3f}"),
    ("FE_K", "{:.1f}"),
    ("FE_Mg", "{:.1f}"),
    ("pump_activity", "{:.3f}"),
    ("romk_activity", "{:.3f}"),
    ("membrane_potential", "{:.1f}"),
    ("excitability_margin", "{:.1f}"),
    ("body_K", "{:.0f}"),
    ("body_Mg", "{:.0f}"),
]

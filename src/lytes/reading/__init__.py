"""The clinical reading of labs and simulations (education and decision support, not a prescription)."""

from .assess import Assessment, Finding, assess, assess_values, state_table
from .over_run import RunFinding, findings_by_arm, findings_over_time, plot_marks, worst_findings

__all__ = [
    "Assessment",
    "Finding",
    "RunFinding",
    "assess",
    "assess_values",
    "findings_by_arm",
    "findings_over_time",
    "plot_marks",
    "state_table",
    "worst_findings",
]

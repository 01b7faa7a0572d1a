"""The clinical reading of labs and simulations (education and decision support, not a prescription)."""

from .assess import Assessment, Finding, assess, assess_values, findings_over_time, state_table

__all__ = ["Assessment", "Finding", "assess", "assess_values", "findings_over_time", "state_table"]

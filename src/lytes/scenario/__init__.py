"""What happens to the patient over time: diet, doses, infusions (and, later, drugs, diseases, events, arms)."""

from .schema import Scenario, load

__all__ = ["Scenario", "load"]

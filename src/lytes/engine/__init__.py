"""Engines turn the model plus time-dependent inputs into trajectories."""

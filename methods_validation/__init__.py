"""Simulation studies that validate the estimators in ``analysis`` against known truth."""

"""Evaluation and feedback cycles: published criteria, check-ins, annual and 360 reviews,
calibration."""

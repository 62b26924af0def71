"""Calibration: fitting a scenario to a business's own exports."""

"""Experiments: many runs of the engines (Monte Carlo, bets compared, goal seek)."""

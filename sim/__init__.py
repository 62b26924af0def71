"""GrowthSim engines, Monte Carlo and command line."""

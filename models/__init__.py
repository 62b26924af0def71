"""GrowthSim scenario spec, compiled form, economics."""

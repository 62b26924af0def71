"""`growthsim`: the command line, a thin layer over the library and the report layer."""

"""The scenario spec: what a scenario file may say, read and validated once."""

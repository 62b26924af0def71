"""The compiled scenario: every parameter interpreted once into plain numbers per month."""

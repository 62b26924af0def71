"""The accounting of a run: its ledger, and the metrics made from it."""

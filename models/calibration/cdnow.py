"""The CDNOW sample (Fader, Hardie & Lee 2005), read into the one-row-per-purchase table that
`models.calibration.transactions.clean_transactions` checks. Provenance: `tests/data/README.md`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from models.calibration.transactions import TransactionLog, clean_transactions

CDNOW_SAMPLE = Path(__file__).resolve().parents[2] / "tests" / "data" / "CDNOW_sample.txt"
CALIBRATION_END = "1997-09-30"  # end of week 39, as in the papers
OBSERVATION_END = "1998-06-30"  # end of week 78


def read_cdnow_raw(path: str | Path = CDNOW_SAMPLE) -> pd.DataFrame:
    """The whitespace-separated file as text cells: customer_id, sample_id, date, cds, amount."""
    return pd.read_csv(path, sep=r"\s+", header=None, dtype=str,
                       names=["customer_id", "sample_id", "date", "cds", "amount"])


def read_cdnow(path: str | Path = CDNOW_SAMPLE) -> TransactionLog:
    """The sample as a checked log. Its 19 exact repeat rows are kept as purchases: on the same
    day they merge with the row they repeat, as every same-day purchase does in the papers."""
    return clean_transactions(read_cdnow_raw(path), str(path), date_format="%Y%m%d",
                              duplicates="keep", first_row=1)

"""A business's purchase export, read and checked: one row per purchase, every problem named.

`read_transactions(path, ...)` reads a CSV (one row per purchase: customer, date, amount) and
returns a `TransactionLog`: the rows used, and for every row not used the reason and its row
number. Row numbers are line numbers in the file (the header is line 1), so an owner can find
them in a spreadsheet. Nothing is dropped silently: a problem either stops the read with a
`TransactionsError` that says how to fix it, or, where a flag says so (`bad_rows="skip"`,
`duplicates="drop"`), the rows are left out and listed in `TransactionLog.excluded`.

`rfm_summary` then turns the log into the per-customer statistics the BG/NBD and Gamma-Gamma
models take (frequency x, recency t_x, age T, mean repeat spend), in periods of `period_days`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from models.compiled.units import DAYS_PER_MONTH

BadRows = Literal["error", "skip"]
Duplicates = Literal["error", "keep", "drop"]
PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH}  # a month as in the engine
_SHOW = 10  # row numbers listed before "and N more"


class TransactionsError(ValueError):
    """The export cannot be used as it is. Each problem says what is wrong, where, and the fix."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def rows_text(rows: list[int]) -> str:
    """'rows 3, 7 and 12' / 'rows 3, 7, ... and 40 more': row numbers an owner can look up."""
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:_SHOW])
    more = len(rows) - _SHOW
    return f"rows {shown}" + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class TransactionLog:
    """The usable purchases (`frame`: customer, date, amount; one row per purchase record) and an
    account of every row read."""

    frame: pd.DataFrame
    rows_read: int
    excluded: dict[str, list[int]] = field(default_factory=dict)  # reason -> row numbers
    notes: tuple[str, ...] = ()

    @property
    def rows_used(self) -> int:
        return len(self.frame)

    def report(self) -> dict[str, object]:
        """How many rows were used and why the others were not (for the JSON output)."""
        return {
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_not_used": {reason: {"count": len(rows), "rows": rows}
                              for reason, rows in self.excluded.items()},
            "notes": list(self.notes),
        }


def read_transactions(
    path: str | Path,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str | None = "amount",
    date_format: str | None = None,
    bad_rows: BadRows = "error",
    duplicates: Duplicates = "error",
) -> TransactionLog:
    """Read a purchase export (CSV with a header row) and check it; see the module docstring."""
    source = str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except FileNotFoundError:
        raise TransactionsError(source, ["file not found; check the path"]) from None
    except pd.errors.EmptyDataError:
        raise TransactionsError(source, ["the file is empty; export the purchases again, one "
                                         "row per purchase with a header row"]) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise TransactionsError(source, [f"not a readable CSV ({err}); save it as UTF-8 CSV "
                                         "with a comma between columns"]) from None
    return clean_transactions(raw, source, customer_col, date_col, amount_col, date_format,
                              bad_rows, duplicates, first_row=2)


def clean_transactions(
    raw: pd.DataFrame,
    source: str = "transactions",
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str | None = "amount",
    date_format: str | None = None,
    bad_rows: BadRows = "error",
    duplicates: Duplicates = "error",
    first_row: int = 2,
) -> TransactionLog:
    """Check a table of text cells (one row per purchase); `first_row` is the row number of its
    first row (2 for a CSV under a header line)."""
    raw = raw.reset_index(drop=True)
    if raw.empty:
        raise TransactionsError(source, ["the file has a header but no purchases; export the "
                                         "purchases again, one row per purchase"])
    wanted = [c for c in (customer_col, date_col, amount_col) if c is not None]
    missing = [c for c in wanted if c not in raw.columns]
    if missing:
        option = {customer_col: "--customer-col", date_col: "--date-col",
                  amount_col: "--amount-col"}
        raise TransactionsError(source, [
            f"column {c!r} not found; the file has columns {list(raw.columns)}: name the right "
            f"one with {option[c]}" for c in missing
        ])
    notes = []
    unknown = [c for c in raw.columns if c not in wanted]
    if unknown:
        notes.append(f"columns not used: {', '.join(map(str, unknown))} (if one of them holds "
                     "the customer, date or amount, name it with --customer-col, --date-col or "
                     "--amount-col)")
    rownum = np.arange(first_row, first_row + len(raw))
    problems: dict[str, np.ndarray] = {}
    fixes: dict[str, str] = {}

    customer = raw[customer_col].str.strip()
    problems["missing customer id"] = (customer == "").to_numpy()
    fixes["missing customer id"] = "fill in the customer id"

    text = raw[date_col].str.strip()
    dates = pd.to_datetime(text, format=date_format or "mixed", errors="coerce")
    problems["malformed date"] = dates.isna().to_numpy()
    fixes["malformed date"] = ("write dates as YYYY-MM-DD (or give their format with "
                               "--date-format, e.g. %d.%m.%Y)")
    if amount_col is not None:
        amount_text = raw[amount_col].str.strip().str.replace(" ", "", regex=False)
        amount = pd.to_numeric(amount_text, errors="coerce")
        problems["missing amount"] = (amount_text == "").to_numpy()
        problems["malformed amount"] = (amount.isna() & (amount_text != "")).to_numpy()
        problems["negative amount"] = (amount < 0).to_numpy()
        problems["infinite amount"] = (amount.abs() == math.inf).to_numpy()
        fixes["missing amount"] = "fill in the amount paid"
        fixes["malformed amount"] = "write the amount as a plain number, e.g. 1234.50"
        fixes["negative amount"] = ("refunds and returns are not purchases: net them against "
                                    "the purchase they refund")
        fixes["infinite amount"] = "write the amount as a finite number"
    else:
        amount = pd.Series(np.nan, index=raw.index)

    bad = np.zeros(len(raw), dtype=bool)
    for mask in problems.values():
        bad |= mask
    errors, excluded = [], {}
    for reason, mask in problems.items():
        if not mask.any():
            continue
        rows = rownum[mask].tolist()
        if bad_rows == "skip":
            excluded[reason] = rows
        else:
            errors.append(f"{reason} in {rows_text(rows)}: {fixes[reason]}, or pass "
                          "--skip-bad-rows to leave these rows out")

    frame = pd.DataFrame({"customer": customer, "date": dates.dt.normalize(), "amount": amount})
    frame["row"] = rownum
    good = ~bad
    dup_mask = raw.duplicated(keep="first").to_numpy() & good
    if dup_mask.any():
        rows = rownum[dup_mask].tolist()
        first = raw.loc[good].reset_index().groupby(list(raw.columns), sort=False)["index"]
        firsts = first.transform("min").to_numpy()
        originals = rownum[firsts[dup_mask[good]]].tolist()
        verb = "repeats" if len(rows) == 1 else "repeat"
        where = f"{rows_text(rows)} {verb} {rows_text(sorted(set(originals)))} exactly"
        if duplicates == "error":
            errors.append(f"duplicate rows: {where}; if the export doubled them pass "
                          "--duplicates drop, if they are separate purchases pass "
                          "--duplicates keep")
        elif duplicates == "drop":
            excluded["duplicate row (--duplicates drop)"] = rows
            good &= ~dup_mask
        else:
            notes.append(f"duplicate rows kept as separate purchases (--duplicates keep): {where}")
    if errors:
        raise TransactionsError(source, errors)
    used = frame.loc[good].reset_index(drop=True)
    if used.empty:
        raise TransactionsError(source, ["no usable purchases are left; fix the rows listed "
                                         "above"])
    return TransactionLog(used, len(raw), excluded, tuple(notes))


@dataclass(frozen=True)
class RFMSummary:
    """Per-customer statistics in periods of `period_days` (index: customer id).

    Columns: `x` repeat transactions in the calibration period (purchase days after the first;
    purchases on the same day are one transaction), `t_x` time of the last one after the first
    purchase, `T` time from the first purchase to the calibration end, `monetary_value` mean
    amount of the repeat transactions (NaN when x = 0), and, when there is a holdout,
    `x_holdout` transactions in it. Customers whose first purchase is after the calibration end
    are left out (`late_customers`)."""

    frame: pd.DataFrame
    period_days: float
    start: pd.Timestamp  # first purchase date in the data
    calibration_end: pd.Timestamp  # last day of the calibration period (inclusive)
    observation_end: pd.Timestamp  # last day of the holdout (== calibration_end: none)
    late_customers: int

    @property
    def holdout_periods(self) -> float:
        return (self.observation_end - self.calibration_end).days / self.period_days


def daily_transactions(log: TransactionLog) -> pd.DataFrame:
    """Purchases merged per customer and day (amounts summed): the papers' transactions."""
    daily = log.frame.groupby(["customer", "date"], as_index=False, sort=True)["amount"].sum(
        min_count=1)
    return daily


def rfm_summary(
    log: TransactionLog,
    period_days: float = 7.0,
    calibration_end: str | pd.Timestamp | None = None,
    observation_end: str | pd.Timestamp | None = None,
) -> RFMSummary:
    """The calibration statistics of each customer; see `RFMSummary`. Without `calibration_end`
    the whole log is calibration; without `observation_end` the holdout runs to the last date."""
    daily = daily_transactions(log)
    last = daily["date"].max()
    cal_end = last if calibration_end is None else pd.Timestamp(calibration_end)
    obs_end = last if observation_end is None else pd.Timestamp(observation_end)
    obs_end = max(obs_end, cal_end)
    daily = daily[daily["date"] <= obs_end]
    first = daily.groupby("customer")["date"].transform("min")
    daily = daily.assign(first=first, repeat=daily["date"] > first)
    cal = daily[daily["date"] <= cal_end]
    late = int(daily.loc[daily["first"] > cal_end, "customer"].nunique())
    per = pd.Timedelta(days=period_days)
    grouped = cal.groupby("customer")
    firsts = grouped["date"].min()
    repeats = cal[cal["repeat"]].groupby("customer")
    frame = pd.DataFrame(index=firsts.index)
    frame["x"] = repeats.size().reindex(frame.index, fill_value=0).astype(float)
    last_repeat = repeats["date"].max().reindex(frame.index)
    frame["t_x"] = ((last_repeat - firsts) / per).fillna(0.0)
    frame["T"] = (cal_end - firsts) / per
    frame["monetary_value"] = repeats["amount"].mean().reindex(frame.index)
    hold = daily[(daily["date"] > cal_end) & daily["customer"].isin(frame.index)]
    frame["x_holdout"] = hold.groupby("customer").size().reindex(
        frame.index, fill_value=0).astype(float)
    frame["first_purchase"] = firsts
    return RFMSummary(frame, period_days, daily["date"].min(), cal_end, obs_end, late)


def repeat_transactions_per_period(log: TransactionLog, summary: RFMSummary) -> pd.Series:
    """Repeat transactions (purchase days after each customer's first) of the summary's
    customers in each period since the first date of the data (index: 0-based period)."""
    daily = daily_transactions(log)
    daily = daily[daily["customer"].isin(summary.frame.index)
                  & (daily["date"] <= summary.observation_end)]
    first = daily.groupby("customer")["date"].transform("min")
    repeat = daily[daily["date"] > first]
    period = ((repeat["date"] - summary.start).dt.days // summary.period_days).astype(int)
    n = math.ceil(((summary.observation_end - summary.start).days + 1) / summary.period_days)
    return period.value_counts().reindex(range(n), fill_value=0).sort_index()

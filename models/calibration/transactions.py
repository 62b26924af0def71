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

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from models.compiled.units import DAYS_PER_MONTH
from models.spec.errors import Message
from models.spec.messages import msg
from models.words import has, t

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


def rows_text(rows: list[int]) -> Message:
    """'rows 3, 7 and 12' / 'rows 3, 7, ... and 40 more': row numbers an owner can look up."""
    if len(rows) == 1:
        return msg("row_one", row=rows[0])
    shown = ", ".join(str(r) for r in rows[:_SHOW])
    more = len(rows) - _SHOW
    return (msg("rows_more", rows=shown, more=more) if more > 0
            else msg("rows_some", rows=shown))


def bad_rows_problem(what: Message, rows: list[int], fix: Message) -> Message:
    """'<what> in rows 3, 7: <fix>, or pass --skip-bad-rows ...', in both languages."""
    return msg("bad_rows", what=what, rows=rows_text(rows), fix=fix)


# -- reading the export: encoding, delimiter and decimal mark ----------------------------------

_MAX_CSV_BYTES = 500_000_000
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "delimiter_comma", ";": "delimiter_semicolon", "\t": "delimiter_tab",
                    "|": "delimiter_bar"}  # the separator's name: a key of the [spec] area
_DECIMAL_COMMA = re.compile(r"^[-+]?\d{1,3}(?:[ .\u00a0\u202f]?\d{3})*,\d+$")
_DECIMAL_POINT = re.compile(r"^[-+]?\d+\.\d+$")
_SPACES = re.compile(r"[\s\u00a0\u202f]")


@dataclass(frozen=True)
class CsvFormat:
    """How an export was read: detected unless given (`--delimiter`, `--decimal`)."""

    encoding: str  # utf-8 or cp1251 (Russian Excel's "CSV" without UTF-8)
    delimiter: str
    decimal: str  # "." or ","

    def note(self) -> Message:
        key = _DELIMITER_NAMES.get(self.delimiter)
        delimiter = msg(key) if key else repr(self.delimiter)
        dec = msg("decimal_comma" if self.decimal == "," else "decimal_point")
        enc = "UTF-8" if self.encoding.startswith("utf") else "Windows-1251 (cp1251)"
        return msg("csv_detected", encoding=enc, delimiter=delimiter, decimal=dec)


def _decode(data: bytes, source: str) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM), else cp1251; binary data refused."""
    head = data[:65536]
    if b"\x00" in head or head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise TransactionsError(source, [msg("csv_binary")])  # NULs, an .xlsx or an .xls
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        raise TransactionsError(source, [msg("csv_binary")]) from None
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > len(text[:65536]) / 100:
        raise TransactionsError(source, [msg("csv_binary")])
    return text, "cp1251"


def _sniff_delimiter(text: str) -> str:
    """The candidate found as often on most of the first lines as in the header."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    best, best_key = ",", (-1, -1)
    for cand in _DELIMITERS:
        header = lines[0].count(cand)
        if header == 0:
            continue
        key = (sum(1 for line in lines[1:] if line.count(cand) == header), header)
        if key > best_key:
            best, best_key = cand, key
    return best


def _sniff_decimal(frame: pd.DataFrame) -> str:
    cells = pd.Series(frame.to_numpy().ravel()).astype(str).str.strip()
    comma = cells.str.match(_DECIMAL_COMMA).sum()
    point = cells.str.match(_DECIMAL_POINT).sum()
    return "," if comma > point else "."


def read_csv_table(path: str | Path, delimiter: str | None = None, decimal: str | None = None
                   ) -> tuple[pd.DataFrame, CsvFormat]:
    """An export as a table of text cells, and how it was read. Raises `TransactionsError` for a
    folder, a missing, unreadable or binary file; `pd.errors.EmptyDataError` for an empty one."""
    source, p = str(path), Path(path)
    if p.is_dir():
        raise TransactionsError(source, [msg("csv_is_folder")])
    if not p.exists():
        raise TransactionsError(source, [msg("file_not_found")])
    try:
        if p.stat().st_size > _MAX_CSV_BYTES:
            raise TransactionsError(source, [msg("csv_too_large", limit="500 MB")])
        data = p.read_bytes()
    except OSError as err:
        raise TransactionsError(source, [msg("csv_unreadable", why=err.strerror)]) from None
    text, encoding = _decode(data, source)
    sep = {"tab": "\t", "\\t": "\t"}.get(delimiter or "", delimiter) or _sniff_delimiter(text)
    try:
        raw = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                          skip_blank_lines=True, engine="python" if len(sep) > 1 else "c")
    except pd.errors.ParserError as err:
        raise TransactionsError(source, [f"not a readable CSV ({err}); check the separator "
                                         "(--delimiter) and the quotes"]) from None
    fmt = CsvFormat(encoding, sep, decimal or _sniff_decimal(raw))
    if len(raw.columns) == 1 and any(d in str(raw.columns[0]) for d in _DELIMITERS if d != sep):
        key = _DELIMITER_NAMES.get(sep)
        raise TransactionsError(source, [msg("csv_one_column", header=str(raw.columns[0]),
                                             delimiter=msg(key) if key else repr(sep))])
    return raw, fmt


def parse_numbers(text: pd.Series, decimal: str) -> pd.Series:
    """Numbers written by people: spaces (also non-breaking) between thousands dropped; with a
    decimal comma, '.' thousands separators dropped and ',' read as the point."""
    text = text.str.replace(_SPACES, "", regex=True)
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


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
    delimiter: str | None = None,
    decimal: str | None = None,
) -> TransactionLog:
    """Read a purchase export (CSV with a header row) and check it; see the module docstring.
    The encoding (UTF-8 or cp1251), the delimiter and the decimal mark are detected unless
    given, and said in the log's notes."""
    source = str(path)
    try:
        raw, fmt = read_csv_table(path, delimiter, decimal)
    except pd.errors.EmptyDataError:
        raise TransactionsError(source, ["the file is empty; export the purchases again, one "
                                         "row per purchase with a header row"]) from None
    log = clean_transactions(raw, source, customer_col, date_col, amount_col, date_format,
                             bad_rows, duplicates, first_row=2, decimal=fmt.decimal)
    return TransactionLog(log.frame, log.rows_read, log.excluded, (fmt.note(), *log.notes))


def _amounts(raw: pd.DataFrame, amount_col: str | None, decimal: str,
             problems: dict[str, np.ndarray], fixes: dict[str, str]) -> pd.Series:
    """The amounts paid (NaN without an amount column), their problems and fixes added to
    `problems` and `fixes`."""
    if amount_col is None:
        return pd.Series(np.nan, index=raw.index)
    amount_text = raw[amount_col].str.strip().str.replace(_SPACES, "", regex=True)
    amount = parse_numbers(amount_text, decimal)
    problems["missing amount"] = (amount_text == "").to_numpy()
    problems["malformed amount"] = (amount.isna() & (amount_text != "")).to_numpy()
    problems["negative amount"] = (amount < 0).to_numpy()
    problems["infinite amount"] = (amount.abs() == math.inf).to_numpy()
    fixes["missing amount"] = msg("fix_amount_missing")
    fixes["malformed amount"] = msg("fix_amount_malformed")
    fixes["negative amount"] = msg("fix_amount_negative")
    fixes["infinite amount"] = msg("fix_amount_infinite")
    return amount


def _row_errors(problems: dict[str, np.ndarray], fixes: dict[str, str], rownum: np.ndarray,
                bad_rows: BadRows) -> tuple[list[str], dict[str, list[int]]]:
    """Each kind of bad row as an error naming its rows and the fix, or (`bad_rows` "skip")
    the rows left out, by reason."""
    errors: list[str] = []
    excluded: dict[str, list[int]] = {}
    for reason, mask in problems.items():
        if not mask.any():
            continue
        rows = rownum[mask].tolist()
        if bad_rows == "skip":
            excluded[reason] = rows
        elif isinstance(fix := fixes[reason], Message):
            key = f"transactions.{reason.replace(' ', '_')}"  # a reason in Russian, if any
            what = Message(t(key, "en"), t(key, "ru")) if has(key) else Message(reason, reason)
            errors.append(bad_rows_problem(what, rows, fix))
        else:
            errors.append(f"{reason} in {rows_text(rows)}: {fixes[reason]}, or pass "
                          "--skip-bad-rows to leave these rows out")
    return errors, excluded


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
    decimal: str = ".",
) -> TransactionLog:
    """Check a table of text cells (one row per purchase); `first_row` is the row number of its
    first row (2 for a CSV under a header line)."""
    raw = raw.reset_index(drop=True)
    if raw.empty:
        raise TransactionsError(source, [msg("export_no_purchases")])
    wanted = [c for c in (customer_col, date_col, amount_col) if c is not None]
    missing = [c for c in wanted if c not in raw.columns]
    if missing:
        option = {customer_col: "--customer-col", date_col: "--date-col",
                  amount_col: "--amount-col"}
        raise TransactionsError(source, [
            msg("column_not_found_option", column=c, columns=list(raw.columns), option=option[c])
            for c in missing
        ])
    notes: list[str] = []
    unknown = [c for c in raw.columns if c not in wanted]
    if unknown:
        notes.append(msg("columns_not_used", columns=", ".join(map(str, unknown))))
    rownum = np.arange(first_row, first_row + len(raw))
    problems: dict[str, np.ndarray] = {}
    fixes: dict[str, str] = {}

    customer = raw[customer_col].str.strip()
    problems["missing customer id"] = (customer == "").to_numpy()
    fixes["missing customer id"] = msg("fix_customer_id")

    text = raw[date_col].str.strip()
    try:
        dates = pd.to_datetime(text, format=date_format or "mixed", errors="coerce")
    except ValueError as err:  # a format pandas cannot use at all, e.g. '%Q%Q'
        raise TransactionsError(source, [msg("bad_date_format", fmt=date_format,
                                             why=str(err).split(" in format")[0])]) from None
    problems["malformed date"] = dates.isna().to_numpy()
    fixes["malformed date"] = msg("fix_date")
    today = pd.Timestamp.now().normalize()
    future = (dates > today + pd.Timedelta(days=1)).to_numpy()  # a day's grace for time zones
    if future.any():
        problems["date in the future"] = future
        fixes["date in the future"] = msg("dates_after_today", today=today.date())
    amount = _amounts(raw, amount_col, decimal, problems, fixes)

    bad = np.zeros(len(raw), dtype=bool)
    for mask in problems.values():
        bad |= mask
    errors, excluded = _row_errors(problems, fixes, rownum, bad_rows)

    frame = pd.DataFrame({"customer": customer, "date": dates.dt.normalize(), "amount": amount})
    frame["row"] = rownum
    good = ~bad
    dup_mask = raw.duplicated(keep="first").to_numpy() & good
    if dup_mask.any():
        rows = rownum[dup_mask].tolist()
        first = raw.loc[good].reset_index().groupby(list(raw.columns), sort=False)["index"]
        firsts = first.transform("min").to_numpy()
        originals = rownum[firsts[dup_mask[good]]].tolist()
        where = msg("duplicates_one" if len(rows) == 1 else "duplicates_many",
                    rows=rows_text(rows), originals=rows_text(sorted(set(originals))))
        if duplicates == "error":
            errors.append(msg("duplicate_rows", where=where))
        elif duplicates == "drop":
            excluded["duplicate row (--duplicates drop)"] = rows
            good &= ~dup_mask
        else:
            notes.append(msg("duplicates_kept", where=where))
    if errors:
        raise TransactionsError(source, errors)
    used = frame.loc[good].reset_index(drop=True)
    if used.empty:
        raise TransactionsError(source, [msg("no_usable_purchases")])
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
        days: int = (self.observation_end - self.calibration_end).days
        return days / self.period_days


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

"""A business's monthly actuals, read and checked against its plan: every problem named by line.

The file (CSV with a header row; UTF-8 or Russian Excel's cp1251, comma/semicolon/tab delimited,
decimal point or comma: read by `models.calibration.transactions.read_csv_table`, as the
calibration exports are) has one row per month of the plan:

| column | what |
|---|---|
| `month` (required) | the plan's month, 1-based: 1, 2, 3, ... consecutive from 1 |
| `leads` | new leads of the month, every channel and referrals (not the starting open leads) |
| `leads_<channel>` | new leads of one channel of the scenario, e.g. `leads_yandex_direct` |
| `leads_referral` | new leads who came on a recommendation |
| `new_clients` | leads who paid their first invoice in the month |
| `revenue` | all revenue of the month |
| `churned` | clients who left in the month |
| `active_clients` | paying clients at the month's end |
| `marketing` | advertising spend of the month |
| `lost_<stage>` | leads lost in the month at a stage (below) |

The stages: `lost_unprocessed` (never called), `lost_late` (no longer interested when called),
`lost_first_contact`, `lost_follow_up` (the follow-ups ran out), `lost_unpaid` (an invoice
never paid).

Any subset of the columns after `month` may be given, and an empty cell means "not known for
that month". Counts are whole numbers >= 0; money is a number >= 0 (spaces between thousands
are fine). Nothing is dropped silently: every problem stops the read with an `ActualsError` that
says which lines, what is wrong and the fix, in English and Russian.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.accounting.ledger import LEAKS
from models.calibration.funnel import Leads, read_leads
from models.calibration.transactions import (
    TransactionLog,
    TransactionsError,
    parse_numbers,
    read_csv_table,
    read_transactions,
    rows_text,
)
from models.compiled.units import days_to_months
from models.spec.errors import Message
from models.spec.messages import msg
from models.spec.scenario import Scenario
from models.words import t

STAGES = tuple(leak for leak in LEAKS if leak != "lost_client")  # a lead's leaks, by stage
MONEY_COLUMNS = ("revenue", "marketing")
BASE_COUNT_COLUMNS = ("leads", "leads_referral", "new_clients", "churned", "active_clients",
                      *STAGES)

_LIMIT = 1e13  # the largest amount or count GrowthSim accepts (as a scenario's numbers)


def _m(key: str, **values: object) -> Message:
    ru_values = {k: v.ru if isinstance(v, Message) else v for k, v in values.items()}
    return Message(t(f"actuals.{key}", "en", **values), t(f"actuals.{key}", "ru", **ru_values))


class ActualsError(ValueError):
    """The actuals cannot be used as they are; each problem says where, what and the fix."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))

    def text(self, lang: str) -> str:
        """The whole error in `lang` ("en" or "ru")."""
        parts = [p.ru if lang == "ru" and isinstance(p, Message) else str(p)
                 for p in self.problems]
        return f"{self.source}: " + "; ".join(parts)


def count_columns(spec: Scenario) -> tuple[str, ...]:
    """The count columns the actuals of `spec` may have."""
    return ("leads", *(f"leads_{c.name}" for c in spec.channels), *BASE_COUNT_COLUMNS[1:])


@dataclass(frozen=True)
class Actuals:
    """Monthly actuals: `frame` indexed by the plan's month (1..months), one float column per
    figure given, NaN where a month's figure is unknown."""

    frame: pd.DataFrame
    source: str
    notes: tuple[str, ...] = ()

    @property
    def months(self) -> int:
        return len(self.frame)

    def column(self, name: str) -> np.ndarray:
        """A figure by month (NaN where unknown, all NaN if the file has no such column)."""
        if name in self.frame.columns:
            values: np.ndarray = self.frame[name].to_numpy(dtype=float)
            return values
        return np.full(self.months, np.nan)

    def has(self, name: str) -> bool:
        return name in self.frame.columns and bool(self.frame[name].notna().any())


def read_actuals(path: str | Path, spec: Scenario, delimiter: str | None = None,
                 decimal: str | None = None) -> Actuals:
    """Read and check a file of monthly actuals against the plan `spec` (see the module)."""
    source, p = str(path), Path(path)
    if not p.is_dir() and not p.exists():
        raise ActualsError(source, [_m("not_found")])
    try:
        raw, fmt = read_csv_table(p, delimiter, decimal)
    except pd.errors.EmptyDataError:
        raise ActualsError(source, [_m("empty")]) from None
    except TransactionsError as err:
        raise ActualsError(source, err.problems) from None
    frame = check_actuals(raw, spec, source, fmt.decimal)
    return Actuals(frame, source, (fmt.note(),))


def _month_problems(month: pd.Series, rownum: np.ndarray, horizon: int) -> list[str]:
    """What is wrong with the `month` column: not a month, after the horizon, repeated, or
    months missing before the last."""
    problems: list[str] = []
    bad_month = (month.isna() | (month < 1) | (month != np.floor(month))).to_numpy()
    if bad_month.any():
        problems.append(_m("bad_month", rows=rows_text(rownum[bad_month].tolist())))
    good = ~bad_month
    months = month.to_numpy()
    late = good & (months > horizon)
    if late.any():
        problems.append(_m("month_after_horizon", horizon=horizon,
                           rows=rows_text(rownum[late].tolist())))
    if good.any() and not late.any():
        seen = pd.Series(rownum[good]).groupby(months[good]).apply(list)
        for m, rows in seen.items():
            if len(rows) > 1:
                problems.append(_m("repeated_month", month=int(m), rows=rows_text(rows)))
        missing = sorted(set(range(1, int(np.max(months[good])) + 1)) - set(months[good]))
        if missing and not bad_month.any():
            problems.append(_m("missing_months", months=", ".join(map(str, missing[:20]))))
    return problems


def _cell_problems(column: str, text: pd.Series, number: pd.Series, rownum: np.ndarray,
                   whole: bool) -> list[str]:
    """What is wrong with a column's cells: not a number, negative, too large, or (a count,
    `whole`) a fraction; each problem with the rows it is on."""
    empty = (text == "").to_numpy()
    checks = [
        ("malformed", (number.isna().to_numpy() & ~empty), {}),
        ("negative", (number < 0).to_numpy(), {}),
        ("too_large", (number.abs() > _LIMIT).to_numpy(), {"limit": f"{_LIMIT:.0e}"}),
    ]
    if whole:
        checks.append(("fraction", (number.notna() & (number != np.floor(number))
                                    ).to_numpy(), {}))
    return [_m(key, column=column, rows=rows_text(rownum[mask].tolist()), **extra)
            for key, mask, extra in checks if mask.any()]


def check_actuals(raw: pd.DataFrame, spec: Scenario, source: str = "actuals",
                  decimal: str = ".", first_row: int = 2) -> pd.DataFrame:
    """A table of text cells checked into a frame of numbers by month; `first_row` is the line
    of its first row (2 under a header line). Raises `ActualsError` listing every problem."""
    raw = raw.reset_index(drop=True)
    columns = [str(c).strip() for c in raw.columns]
    raw.columns = pd.Index(columns)
    if "month" not in columns:
        raise ActualsError(source, [_m("no_month", columns=columns)])
    problems: list[str] = []
    # pandas renames a repeated header 'revenue' to 'revenue.1'
    repeated = sorted({c for c in columns if columns.count(c) > 1}
                      | {m.group(1) for c in columns
                         if (m := re.fullmatch(r"(.+)\.\d+", c)) and m.group(1) in columns})
    if repeated:
        raise ActualsError(source, [_m("repeated_columns", columns=", ".join(repeated))])
    counts = count_columns(spec)
    known = (*counts, *MONEY_COLUMNS)
    unknown = [c for c in columns if c != "month" and c not in known]
    if unknown:
        problems.append(_m("unknown_columns", columns=", ".join(unknown),
                           known=", ".join(known)))
    data = [c for c in columns if c in known]
    if not data and not unknown:
        problems.append(_m("no_data"))
    rownum = np.arange(first_row, first_row + len(raw))
    # Rows with every cell empty (Excel writes ';;;' lines below a table) are not months.
    filled = ~raw.apply(lambda c: c.astype(str).str.strip() == "").all(axis=1).to_numpy()
    raw, rownum = raw.loc[filled].reset_index(drop=True), rownum[filled]
    if raw.empty:
        raise ActualsError(source, [_m("no_rows")])

    month = parse_numbers(raw["month"].astype(str).str.strip(), ".")
    months = month.to_numpy()
    problems += _month_problems(month, rownum, spec.horizon_months)

    values: dict[str, pd.Series] = {}
    for column in data:
        text = raw[column].astype(str).str.strip()
        values[column] = parse_numbers(text, decimal)
        problems += _cell_problems(column, text, values[column], rownum, column in counts)
    if not problems and data and not any(values[c].notna().any() for c in data):
        # months without a single figure: nothing to compare or re-forecast from
        problems.append(msg("actuals_empty", path=source))
    if problems:
        raise ActualsError(source, problems)
    frame = pd.DataFrame({c: values[c].to_numpy(dtype=float) for c in data},
                         index=pd.Index(months.astype(int), name="month"))
    return frame.sort_index()


def _check_start(first: pd.Timestamp, earliest: pd.Timestamp, source: str) -> None:
    """Refuse a --start a whole month or more before the export's first record: the export
    says nothing of those months, which would count as months of zero leads or sales."""
    before = math.floor(days_to_months((earliest - first).total_seconds() / 86400.0))
    if before >= 1:
        raise ActualsError(source, [msg("start_before_data", start=first.date(), months=before,
                                        first=earliest.date(),
                                        suggest=earliest.replace(day=1).date())])


# -- actuals from a CRM export of leads (`models.calibration.funnel.read_leads`) -----------------


def _start_of(start: str | None, source: str) -> pd.Timestamp:
    """The scenario's `start` (month 1) as a date; an ActualsError when it is missing or not a
    date (actuals are placed in the calendar by it)."""
    if start is None:
        raise ActualsError(source, [_m("no_start")])
    try:
        return pd.Timestamp(start)
    except ValueError:
        raise ActualsError(source, [_m("bad_start", start=start)]) from None

def actuals_from_leads(leads: Leads, spec: Scenario, start: str | None,
                       source: str = "leads") -> Actuals:
    """Monthly actuals from a CRM export (one row per lead): leads by channel by the month they
    came, new clients by the month they paid, leads lost unprocessed by the month they came.
    Month 1 starts on `start`; months are the engine's (`models.compiled.units`), and only
    whole months before the export's last date count. Other stages' losses are left out: the
    export does not say when a lead was lost."""
    first = _start_of(start, source)
    frame = leads.frame
    known = {c.name for c in spec.channels}
    unknown = sorted(set(frame["channel"]) - known)
    if unknown:
        raise ActualsError(source, [_m("unknown_channels", channels=", ".join(unknown),
                                       known=", ".join(sorted(known)))])

    def month(dates: pd.Series) -> pd.Series:
        days = (dates - first).dt.total_seconds() / 86400.0
        return np.floor(days.map(days_to_months)) + 1

    if len(frame):
        _check_start(first, frame["created"].min(), source)
    months = math.floor(days_to_months((leads.export_end - first).total_seconds() / 86400.0))
    months = min(months, spec.horizon_months)
    if months < 1:
        raise ActualsError(source, [_m("no_whole_month", start=first.date(),
                                       end=leads.export_end.date())])
    index = pd.RangeIndex(1, months + 1, name="month")

    def per_month(mask: pd.Series, dates: pd.Series) -> np.ndarray:
        m = month(dates[mask])
        counts: np.ndarray = m[(m >= 1) & (m <= months)].value_counts().reindex(
            index, fill_value=0).to_numpy(dtype=float)
        return counts

    columns = {f"leads_{c.name}": per_month(frame["channel"] == c.name, frame["created"])
               for c in spec.channels}
    columns["leads"] = np.sum(list(columns.values()), axis=0)
    won = (frame["outcome"] == "won") & frame["payment"].notna()
    columns["new_clients"] = per_month(won, frame["payment"])
    columns["lost_unprocessed"] = per_month(frame["outcome"] == "lost_unprocessed",
                                            frame["created"])
    out = pd.DataFrame(columns, index=pd.Index(index.to_numpy(), name="month"))
    return Actuals(out, source, leads.notes)


def actuals_from_purchases(log: TransactionLog, start: str | None, horizon: int,
                           source: str = "purchases") -> Actuals:
    """Monthly actuals from a purchase export (one row per purchase, as `calibrate
    transactions` reads it): revenue by month, and new clients, those whose first purchase in
    the export falls in the month (so the export should begin before month 1, or its first
    month counts every buyer as new). Whole months before the export's last date count."""
    first = _start_of(start, source)
    frame = log.frame
    end = frame["date"].max()
    if len(frame):
        _check_start(first, frame["date"].min(), source)
    months = min(math.floor(days_to_months((end - first).total_seconds() / 86400.0)), horizon)
    if months < 1:
        raise ActualsError(source, [_m("no_whole_month", start=first.date(), end=end.date())])
    index = pd.Index(range(1, months + 1), name="month")

    def month(dates: pd.Series) -> pd.Series:
        days = (dates - first).dt.total_seconds() / 86400.0
        return np.floor(days.map(days_to_months)) + 1

    m = month(frame["date"])
    revenue = frame["amount"].groupby(m).sum().reindex(index, fill_value=0.0)
    firsts = month(frame.groupby("customer")["date"].min())
    new = firsts.value_counts().reindex(index, fill_value=0)
    out = pd.DataFrame({"revenue": revenue.to_numpy(dtype=float),
                        "new_clients": new.to_numpy(dtype=float)}, index=index)
    return Actuals(out, source, log.notes)


def read_any_actuals(path: str | Path, spec: Scenario, start: str | None = None,
                     delimiter: str | None = None, decimal: str | None = None) -> Actuals:
    """Monthly actuals from a file of actuals, or from a CRM export of leads (detected by its
    `created` and `outcome` columns) or a purchase export (`customer_id`, `date`, `amount`);
    for the exports month 1 starts on `start`."""
    kind = _export_kind(path, delimiter)
    try:
        if kind == "leads":
            leads = read_leads(path, delimiter=delimiter, decimal=decimal)
            return actuals_from_leads(leads, spec, start, str(path))
        if kind == "purchases":
            log = read_transactions(path, delimiter=delimiter, decimal=decimal)
            return actuals_from_purchases(log, start, spec.horizon_months, str(path))
    except TransactionsError as err:
        raise ActualsError(str(path), err.problems) from None
    return read_actuals(path, spec, delimiter, decimal)


def _export_kind(path: str | Path, delimiter: str | None) -> str | None:
    if Path(path).is_dir() or not Path(path).exists():
        return None
    try:
        raw, _ = read_csv_table(path, delimiter, None)
    except (TransactionsError, pd.errors.EmptyDataError):
        return None
    columns = {str(c).strip() for c in raw.columns}
    if "month" in columns:
        return None
    if {"created", "outcome"} <= columns:
        return "leads"
    if {"customer_id", "date", "amount"} <= columns:
        return "purchases"
    return None

"""Retention tables read and checked, and fitted: a cohort's survivors by period (the sBG model,
`models.calibration.sbg`) or customers' histories at discrete opportunities (the BG/BB model,
`models.calibration.bgbb`).

`read_survivors(path)` reads a CSV with the columns `period, survivors` (period 0 is the cohort's
size; an optional `cohort` column holds several cohorts); `read_histories(path)` one with
`frequency, recency, n, count`. Both use the calibration's CSV reading (UTF-8 or cp1251, `,` `;`
tab or `|` between columns, decimal commas; see `models.calibration.transactions.read_csv_table`)
and stop with a `TransactionsError` naming the rows and the fix: row numbers are line numbers in
the file (the header is line 1).
`calibrate_survivors` and `calibrate_histories` fit and return what `growthsim calibrate
retention` writes: the report (retention.json) and a tier's churn for a scenario
(fragment.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.calibration import bgbb, sbg
from models.calibration.transactions import (
    TransactionsError,
    parse_numbers,
    read_csv_table,
    rows_text,
)
from models.spec.errors import Message
from models.spec.messages import msg

SURVIVOR_COLUMNS = ("period", "survivors")
HISTORY_COLUMNS = ("frequency", "recency", "n", "count")


@dataclass(frozen=True)
class NumberTable:
    """A table of whole non-negative numbers, with each row's line in the file."""

    frame: pd.DataFrame  # the columns asked for, as floats holding whole numbers
    lines: np.ndarray  # line number in the file of each row (the header is line 1)
    notes: tuple[str, ...]
    cohort: np.ndarray | None = None  # the `cohort` column's labels, if the table has one


def _read_numbers(path: str | Path, columns: tuple[str, ...], delimiter: str | None,
                  decimal: str | None) -> NumberTable:
    source = str(path)
    listed = ", ".join(columns)
    try:
        raw, fmt = read_csv_table(path, delimiter, decimal)
    except pd.errors.EmptyDataError:
        raise TransactionsError(source, [msg("table_empty", columns=listed)]) from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise TransactionsError(source, [msg(
            "table_missing_columns", missing=", ".join(missing),
            found=", ".join(map(str, raw.columns)), needed=listed)])
    if raw.empty:
        raise TransactionsError(source, [msg("table_no_rows", columns=listed)])
    lines = np.arange(len(raw)) + 2
    problems: list[str] = []
    frame = pd.DataFrame(index=raw.index)
    for col in columns:
        text = raw[col].astype(str).str.strip()
        value = parse_numbers(text, fmt.decimal)
        bad = value.isna() | ~np.isfinite(value.fillna(0.0))
        if bad.any():
            problems.append(msg("table_not_number", column=col,
                                rows=rows_text(lines[bad.to_numpy()].tolist()),
                                example=text[bad].iloc[0]))
            continue
        negative = value < 0
        if negative.any():
            problems.append(msg("table_negative", column=col,
                                rows=rows_text(lines[negative.to_numpy()].tolist()),
                                example=f"{value[negative].iloc[0]:g}"))
            continue
        fractional = value != np.round(value)
        if fractional.any():
            problems.append(msg("table_not_whole", column=col,
                                rows=rows_text(lines[fractional.to_numpy()].tolist()),
                                example=f"{value[fractional].iloc[0]:g}"))
            continue
        frame[col] = value.astype(float)
    cohort = None
    if "cohort" in raw.columns:
        cohort = raw["cohort"].astype(str).str.strip().to_numpy()
        blank = cohort == ""
        if blank.any():
            problems.append(msg("table_blank_cohort", rows=rows_text(lines[blank].tolist())))
    if problems:
        raise TransactionsError(source, problems)
    return NumberTable(frame.reset_index(drop=True), lines, (fmt.note(),), cohort)


@dataclass(frozen=True)
class SurvivorTable:
    cohorts: tuple[np.ndarray, ...]  # each cohort's survivors at the end of periods 0..K_i
    labels: tuple[str, ...]  # the cohorts' names; none for a table without a `cohort` column
    rows_read: int
    notes: tuple[str, ...]

    @property
    def survivors(self) -> np.ndarray:
        """The first (or only) cohort's survivors."""
        return self.cohorts[0]


def _cohort_text(label: str | None) -> Message:
    if label is None:
        return Message("", "")
    of = msg("of_cohort", label=label)  # after a word, so it starts with a space
    return Message(f" {of}", f" {of.ru}")


def _one_cohort(source: str, period: np.ndarray, survivors: np.ndarray, lines: np.ndarray,
                label: str | None) -> np.ndarray:
    """One cohort's survivors in period order, checked: periods 0..K each once, a cohort of
    at least one client, survivors that never increase."""
    where = _cohort_text(label)
    for p in np.unique(period):
        at = lines[period == p]
        if len(at) > 1:
            raise TransactionsError(source, [msg("retention_period_repeated", period=int(p),
                                                 cohort=where, rows=rows_text(at.tolist()))])
    order = np.argsort(period, kind="stable")
    period, lines, survivors = period[order], lines[order], survivors[order]
    expected = np.arange(len(period))
    if not np.array_equal(period, expected):
        gap = int(expected[np.argmax(period != expected)])
        shown = ", ".join(str(p) for p in period[:12]) + (", ..." if len(period) > 12 else "")
        raise TransactionsError(source, [msg("retention_periods_gap", missing=gap, cohort=where,
                                             periods=shown)])
    if survivors[0] <= 0:
        raise TransactionsError(source, [msg("retention_empty_cohort", row=int(lines[0]),
                                             cohort=where, got=f"{survivors[0]:g}")])
    rises = np.flatnonzero(np.diff(survivors) > 0)
    if rises.size:
        raise TransactionsError(source, [
            msg("retention_survivors_increase", before=f"{survivors[i]:g}", p0=int(i),
                after=f"{survivors[i + 1]:g}", p1=int(i + 1), cohort=where,
                row=int(lines[i + 1]))
            for i in rises[:10]])
    return np.asarray(survivors, dtype=float)


def read_survivors(path: str | Path, delimiter: str | None = None,
                   decimal: str | None = None) -> SurvivorTable:
    """Read and check survivors by period (columns `period, survivors`, rows in any order):
    periods 0, 1, ..., K each once, survivors counts that never increase, at least periods
    0..2. With a `cohort` column the table holds several cohorts (a triangle: each its own
    periods 0..K_i), fitted together. Raises `TransactionsError` naming the rows and the fix."""
    source = str(path)
    table = _read_numbers(path, SURVIVOR_COLUMNS, delimiter, decimal)
    f, lines = table.frame, table.lines
    period = f["period"].to_numpy().astype(np.int64)
    survivors = f["survivors"].to_numpy()
    if table.cohort is None:
        cohorts: tuple[np.ndarray, ...] = (_one_cohort(source, period, survivors, lines, None),)
        labels: tuple[str, ...] = ()
    else:
        names = table.cohort
        labels = tuple(dict.fromkeys(names))  # in the order of the file
        cohorts = tuple(_one_cohort(source, period[names == name], survivors[names == name],
                                    lines[names == name], name) for name in labels)
    longest = max(len(c) for c in cohorts)
    if longest < 3:
        label = None if not labels else labels[0]
        raise TransactionsError(source, [msg("retention_too_short", got=longest - 1,
                                             cohort=_cohort_text(label if len(cohorts) == 1
                                                                 else None))])
    return SurvivorTable(cohorts, labels, len(f), table.notes)


@dataclass(frozen=True)
class HistoryTable:
    x: np.ndarray
    t_x: np.ndarray
    n: np.ndarray
    count: np.ndarray
    rows_read: int
    notes: tuple[str, ...]


def read_histories(path: str | Path, delimiter: str | None = None,
                   decimal: str | None = None) -> HistoryTable:
    """Read and check a repeat-opportunity table (columns `frequency, recency, n, count`: the
    transactions, the last opportunity with one (0 if none), the opportunities, the customers
    with that history). Raises `TransactionsError` naming the rows and the fix."""
    source = str(path)
    table = _read_numbers(path, HISTORY_COLUMNS, delimiter, decimal)
    f, lines = table.frame, table.lines
    x, t_x, n, count = (f[c].to_numpy() for c in HISTORY_COLUMNS)
    checks = (("bgbb_no_opportunities", n == 0),
              ("bgbb_frequency_above_recency", x > t_x),
              ("bgbb_recency_above_n", t_x > n),
              ("bgbb_recency_without_frequency", (x == 0) & (t_x > 0)))
    problems: list[str] = [msg(key, rows=rows_text(lines[bad].tolist()))
                           for key, bad in checks if bad.any()]
    if problems:
        raise TransactionsError(source, problems)
    if count.sum() == 0:
        raise TransactionsError(source, [msg("bgbb_no_customers")])
    return HistoryTable(x, t_x, n, count, len(f), table.notes)


def _not_fitted(source: str, model: str) -> TransactionsError:
    return TransactionsError(source, [msg("retention_not_fitted", model=model)])


def check_fit_periods(table: SurvivorTable, fit_periods: int | None, source: str) -> int:
    """The number of periods to fit (default: all), or a `TransactionsError` saying why the
    table cannot be fitted on them (a count outside 2..K, no churn, or nobody left)."""
    last = max(len(c) for c in table.cohorts) - 1
    k = last if fit_periods is None else fit_periods
    if not 2 <= k <= last:
        raise TransactionsError(source, [msg("retention_fit_periods", got=k, last=last)])
    used = [c[:k + 1] for c in table.cohorts if len(c) > 1]
    if all(c[-1] == c[0] for c in used):
        raise TransactionsError(source, [msg("retention_no_churn", k=k)])
    if all(c[1] == 0 for c in used):
        raise TransactionsError(source, [msg("retention_all_left", period=1)])
    return k


def calibrate_survivors(table: SurvivorTable, fit_periods: int | None = None,
                        source: str = "table") -> tuple[dict[str, Any], dict[str, Any]]:
    """(report, fragment): the sBG fit on periods 1..fit_periods with its projection of every
    period, and a tier's churn `monthly_churn: {sbg: {alpha, beta}}` (the table's periods are
    taken as months)."""
    k = check_fit_periods(table, fit_periods, source)
    result = sbg.fit_cohorts(table.cohorts, k, labels=table.labels)
    if not result.fit.converged:
        raise _not_fitted(source, "sBG")
    report = result.report()
    report["data"] = {"rows_read": table.rows_read,
                      "notes": list(table.notes) + _weak(report, sbg.PARAM_NAMES)}
    return report, _fragment(result.alpha, result.beta)


def calibrate_histories(table: HistoryTable, source: str = "table"
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(report, fragment): the BG/BB fit with P(alive) and expected transactions per history,
    and a tier's churn from the dropout distribution: theta ~ Beta(gamma, delta) per
    opportunity is the sBG churn `{sbg: {alpha: gamma, beta: delta}}` when an opportunity is a
    month."""
    result = bgbb.fit(table.x, table.t_x, table.n, table.count)
    if not result.fit.converged:
        raise _not_fitted(source, "BG/BB")
    report = result.report()
    report["data"] = {"rows_read": table.rows_read,
                      "notes": list(table.notes) + _weak(report, bgbb.PARAM_NAMES)}
    p = result.params
    return report, _fragment(p.gamma, p.delta)


# An interval wider than this factor (high / low) says the table hardly determines the parameter.
WEAK_INTERVAL_RATIO = 100.0


def _weak(report: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    """A note for each parameter whose 95% interval is missing (the Hessian is not invertible,
    as when the table shows no sign of mixed churn) or spans more than `WEAK_INTERVAL_RATIO`."""
    notes: list[str] = []
    for name in names:
        low, high = report[name]["low"], report[name]["high"]
        if not (np.isfinite(low) and np.isfinite(high)) or high > WEAK_INTERVAL_RATIO * low:
            interval = (f"{low:.3g} to {high:.3g}" if np.isfinite(low) and np.isfinite(high)
                        else msg("not_computed"))
            notes.append(msg("retention_weak_parameter", name=name, interval=interval))
    return notes


def _fragment(alpha: float, beta: float) -> dict[str, Any]:
    return {"monthly_churn": {"sbg": {"alpha": round(float(alpha), 6),
                                      "beta": round(float(beta), 6)}}}


def period_note() -> Message:
    """What the fragment assumes about the table's periods, for the command's output."""
    return msg("retention_periods_are_months")

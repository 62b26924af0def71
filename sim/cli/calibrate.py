"""`growthsim calibrate`: fit the baseline to a business's own exports (a thin layer over
`models.calibration.calibrate` and `models.calibration.funnel`).

Exit codes as in `sim.cli.main`: 0 success, 2 bad input (a file, a column, a date, an option),
never a
traceback for bad data.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from models.spec.errors import localized
from models.spec.messages import msg
from models.words import has, t
from models.words.formats import number, percent, sign, significant
from sim.cli import helptext
from sim.cli.options import LangName, LangOpt, current_lang, lang_of
from sim.report.terminal import escape

# pandas, the fits and the scenario model load when a command runs (`growthsim --help` without
# them).

app = helptext.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Fit the baseline to a business's own data (purchases, leads, retention).")
console = Console(emoji=False)  # ':zzz:' in a user's text (a name) is not an emoji code
errors = Console(stderr=True, emoji=False)


class Period(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class Decimal(StrEnum):
    point = "."
    comma = ","


DelimiterOpt = Annotated[str | None, typer.Option(
    help="the character between columns: , ; tab or | (default: detected from the file)")]
DecimalOpt = Annotated[Decimal | None, typer.Option(
    help="the decimal mark of numbers: '.' or ',' (default: detected; Russian Excel writes ',')")]


def _delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    sep = {"tab": "\t", "\\t": "\t"}.get(text, text)
    if sep not in (",", ";", "\t", "|"):
        raise _fail([f"--delimiter {text!r}: use one of , ; tab |"], "--delimiter")
    return sep


class DuplicatePolicy(StrEnum):
    error = "error"
    keep = "keep"
    drop = "drop"


def _fail(problems: list[str], source: str) -> typer.Exit:
    lang = current_lang()
    errors.print(f"[bold red]{t('cli.error', lang)}[/] "
                 f"{t('calibrate.problems', lang, source=escape(source), n=len(problems))}",
                 highlight=False)
    for problem in problems:
        errors.print(f"  - {escape(localized(problem, lang))}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _max_horizon_months() -> int:
    """A forecast's horizon is bounded like any scenario's (models/spec/scenario.py)."""
    from models.spec.scenario import Scenario

    return int(next(m.le for m in Scenario.model_fields["horizon_months"].metadata
                    if getattr(m, "le", None) is not None))


def _date(text: str | None, option: str) -> str | None:
    import pandas as pd

    if text is None:
        return None
    try:
        return pd.Timestamp(text).date().isoformat()
    except ValueError:
        raise _fail([msg("option_not_date", option=option, text=text)], option) from None


def _writable(out: Path) -> None:
    """Refuse an --out folder that cannot be written before reading or fitting anything."""
    from sim.report.output import OutputError, check_writable

    try:
        check_writable(out)
    except OutputError as err:
        raise _fail([str(err.message)], "--out") from None


def _write(out: Path, unit: str, files: dict[str, Any]) -> list[Path]:
    """The command's files as one unit (sim.report.output), or a clear message (exit 2)."""
    from sim.report.output import OutputError, write_files

    try:
        return write_files(out, unit, files)
    except OutputError as err:
        raise _fail([str(err.message)], "--out") from None


def _fmt(x: float) -> str:
    return significant(x, current_lang(), 4)


@app.command()
def transactions(
    csv: Annotated[Path, typer.Argument(help="purchases: one row per purchase, with a header")],
    customer_col: Annotated[str, typer.Option(help="column of the customer id")] = "customer_id",
    date_col: Annotated[str, typer.Option(help="column of the purchase date")] = "date",
    amount_col: Annotated[str, typer.Option(help="column of the amount paid")] = "amount",
    date_format: Annotated[str | None, typer.Option(
        help="strftime format of the dates, e.g. %d.%m.%Y (default: guessed per row)")] = None,
    period: Annotated[Period, typer.Option(help="time unit of the fit")] = Period.week,
    calibration_end: Annotated[str | None, typer.Option(
        help="last day of the calibration period, YYYY-MM-DD; later purchases are the holdout "
        "(default: the last date, no holdout)")] = None,
    observation_end: Annotated[str | None, typer.Option(
        help="last day of the holdout (default: the last date in the file)")] = None,
    skip_bad_rows: Annotated[bool, typer.Option(
        "--skip-bad-rows", help="leave out rows with a bad date, customer or amount (they are "
        "listed in the report) instead of stopping")] = False,
    duplicates: Annotated[DuplicatePolicy, typer.Option(
        help="rows repeating another row exactly: error (stop and list them), keep (separate "
        "purchases) or drop (export doubled them)")] = DuplicatePolicy.error,
    delimiter: DelimiterOpt = None,
    decimal: DecimalOpt = None,
    out: Annotated[Path, typer.Option(help="folder for transactions.json, "
                                      "scenario_fragment.yaml, forecast.yaml")] = Path(
        "calibration"),
    language: LangOpt = LangName.en,
) -> None:
    """Fit BG/NBD (purchases and dropout) and Gamma-Gamma (spend) to a purchase export."""
    lang_of(language)  # its notes and refusals speak --lang

    from models.calibration.calibrate import calibrate_transactions, forecast_scenario
    from models.calibration.transactions import TransactionsError, read_transactions
    from models.compiled.units import days_to_months

    _writable(out)
    cal_end = _date(calibration_end, "--calibration-end")
    obs_end = _date(observation_end, "--observation-end")
    try:
        log = read_transactions(csv, customer_col, date_col, amount_col, date_format,
                                "skip" if skip_bad_rows else "error", duplicates.value,
                                _delimiter(delimiter), decimal.value if decimal else None)
    except TransactionsError as err:
        raise _fail(err.problems, err.source) from None
    _check_ends(log.frame["date"], cal_end, obs_end, csv)
    try:
        result = calibrate_transactions(log, period.value, cal_end, obs_end)
    except TransactionsError as err:
        raise _fail(err.problems, str(csv)) from None
    report = result.report()
    fragment = result.scenario_fragment()
    holdout = report["diagnostics"].get("holdout")
    unit: dict[str, Any] = {"transactions.json": report, "scenario_fragment.yaml": fragment}
    skipped_forecast = None
    if holdout is not None:
        months = max(1, math.ceil(days_to_months(holdout["holdout_periods"]
                                                 * result.summary.period_days)))
        limit = _max_horizon_months()
        if months > limit:
            skipped_forecast = msg("forecast_too_long", months=months, limit=limit)
        else:
            unit["forecast.yaml"] = forecast_scenario(fragment, months,
                                                      f"forecast of {csv.name}")
    files = _write(out, "calibrate-transactions", unit)
    if skipped_forecast is not None:
        lang = current_lang()
        errors.print(f"[yellow]{t('calibrate.note', lang)}[/] "
                     f"{escape(localized(skipped_forecast, lang))}", highlight=False)
    _show_transactions(report, period, files)


def _check_ends(dates: Any, cal_end: str | None, obs_end: str | None, csv: Path) -> None:
    """Refuse a calibration or observation end outside the purchases' dates, or in the wrong
    order (exit 2, naming the file)."""
    import pandas as pd

    first, last = dates.min(), dates.max()
    for option, day in (("--calibration-end", cal_end), ("--observation-end", obs_end)):
        if day is not None and pd.Timestamp(day) > last:
            raise _fail([msg("end_after_data", option=option, date=day, last=last.date())],
                        str(csv))
    if cal_end is not None and pd.Timestamp(cal_end) < first:
        raise _fail([msg("end_before_data", option="--calibration-end", date=cal_end,
                         first=first.date())], str(csv))
    if cal_end is not None and obs_end is not None and obs_end < cal_end:
        raise _fail([msg("ends_in_wrong_order", later="--observation-end", end=obs_end,
                         earlier="--calibration-end", start=cal_end)], str(csv))


def _show_transactions(report: dict[str, Any], period: Period, files: list[Path]) -> None:
    """The fit in the terminal: the rows used, the fitted parameters, the holdout's check."""
    holdout = report["diagnostics"].get("holdout")
    lang = current_lang()
    data = report["data"]
    console.print(t("calibrate.rows_read", lang, read=number(data["rows_read"], lang),
                    used=number(data["rows_used"], lang),
                    customers=number(data["customers"], lang), first=data["first_date"],
                    end=data["calibration_end"],
                    periods=number(data["calibration_periods"], lang, 1),
                    period=period.value))
    for reason, rows in data["rows_not_used"].items():
        key = f"transactions.{reason.replace(' ', '_')}"  # the reason in words, if it has any
        console.print("  " + t("calibrate.not_used", lang, n=number(rows["count"], lang),
                               reason=escape(t(key, lang) if has(key) else reason)))
    for note in data["notes"]:
        console.print(f"  {t('calibrate.note', lang)} {escape(localized(note, lang))}")
    table = Table(title=t("calibrate.fitted_title", lang))
    for col in ("model", "parameter", "estimate", "se"):
        table.add_column(t(f"calibrate.col_{col}", lang))
    for model in ("bgnbd", "gamma_gamma"):
        fit = report[model]
        if fit is None:
            continue
        for name, p in fit["params"].items():
            table.add_row(model, name, _fmt(p["estimate"]), _fmt(p["se"]))
        table.add_row(model, t("calibrate.log_likelihood", lang),
                          number(fit["log_likelihood"], lang, 1), "")
    console.print(table)
    if holdout is not None:
        console.print(t("calibrate.holdout", lang,
                        periods=number(holdout["holdout_periods"], lang), period=period.value,
                        expected=number(holdout["expected_total"], lang),
                        actual=number(holdout["actual_total"], lang),
                        error=(sign(holdout["error_share"], lang)
                               if holdout["error_share"] > 0 else "")
                        + percent(holdout["error_share"], lang, 1)))
    console.print(escape(t("app.written", lang, files=", ".join(str(f) for f in files))))


@app.command()
def funnel(
    csv: Annotated[Path, typer.Argument(help="leads: one row per lead, with a header (columns "
                                        "in models/calibration/funnel.py)")],
    settled_days: Annotated[float, typer.Option(
        min=0, help="payment delays only from invoices at least this many days old")] = 30.0,
    skip_bad_rows: Annotated[bool, typer.Option(
        "--skip-bad-rows", help="leave out rows with a bad date, outcome, response time, touches "
        "or a payment before its invoice (they are listed) instead of stopping")] = False,
    delimiter: DelimiterOpt = None,
    decimal: DecimalOpt = None,
    out: Annotated[Path, typer.Option(help="folder for funnel.json and "
                                      "funnel_fragment.yaml")] = Path("calibration"),
    language: LangOpt = LangName.en,
) -> None:
    """Estimate the funnel per channel (with 95% intervals) from a lead export."""
    lang_of(language)  # its notes and refusals speak --lang
    from models.calibration.funnel import calibrate_funnel, read_leads
    from models.calibration.transactions import TransactionsError, rows_text

    if not math.isfinite(settled_days):
        raise _fail([str(msg("option_not_finite", option="--settled-days", value=settled_days,
                             example=30))], "--settled-days")
    _writable(out)
    try:
        leads = read_leads(csv, None, "skip" if skip_bad_rows else "error", _delimiter(delimiter),
                           decimal.value if decimal else None)
    except TransactionsError as err:
        raise _fail(err.problems, err.source) from None
    lang = current_lang()
    for note in leads.notes:
        console.print(f"  {t('calibrate.note', lang)} {escape(localized(note, lang))}")
    for reason, rows in leads.excluded.items():
        console.print("  " + t("calibrate.not_used", lang, n=number(len(rows), lang),
                               reason=escape(localized(reason, lang)))
                      + f" ({escape(localized(rows_text(rows), lang))})")
    result = calibrate_funnel(leads, settled_days)
    files = _write(out, "calibrate-funnel", {"funnel.json": result,
                                             "funnel_fragment.yaml": result["scenario_fragment"]})
    from sim.report.terminal import fitted_tables, table_column

    groups = {"all": result["all"], **result["channels"]}
    keys = ("lost_unprocessed", "response_half_life_hours", "first_contact_conversion",
            "first_contact_drop", "conversion_per_touch", "invoice_paid_probability",
            "payment_delay_days")

    def cell(d: dict[str, Any]) -> str:
        if d["estimate"] is None:
            return "—"
        low, high = d["ci95"]
        return (f"{significant(d['estimate'], lang)} ({significant(low, lang)}–"
                f"{significant(high, lang)})")

    # the estimates never wrap (a number is never split); groups that do not fit 80 columns go
    # on in a second table
    columns = [table_column(t("calibrate.col_estimate", lang), list(keys), False)]
    columns += [table_column(escape(name), [cell(g[key]) for key in keys], True)
                for name, g in groups.items()]
    title = t("calibrate.funnel_title", lang, n=number(leads.rows_read, lang))
    for table in fitted_tables(title, columns, console.width):
        console.print(table)
    console.print(escape(t("app.written", lang, files=", ".join(str(f) for f in files))))


class RetentionModel(StrEnum):
    sbg = "sbg"
    bgbb = "bgbb"


@app.command()
def retention(
    csv: Annotated[Path, typer.Argument(help="a retention table with a header: period, "
                                        "survivors and optionally cohort (sbg) or frequency, "
                                        "recency, n, count (bgbb)")],
    model: Annotated[RetentionModel, typer.Option(
        help="sbg: a cohort's survivors by period (period 0 is the cohort's size); bgbb: "
        "customers' transactions at repeat opportunities")] = RetentionModel.sbg,
    fit_periods: Annotated[int | None, typer.Option(
        help="sbg: fit on periods 1..K only and project the rest (default: all periods)")
    ] = None,
    delimiter: DelimiterOpt = None,
    decimal: DecimalOpt = None,
    out: Annotated[Path, typer.Option(help="folder for retention.json and fragment.yaml")
                   ] = Path("calibration"),
    language: LangOpt = LangName.en,
) -> None:
    """Fit heterogeneous churn (sBG, or BG/BB) to a retention table, with 95% intervals."""
    lang_of(language)  # its notes and refusals speak --lang
    from models.calibration.retention import (
        calibrate_histories,
        calibrate_survivors,
        period_note,
        read_histories,
        read_survivors,
    )
    from models.calibration.transactions import TransactionsError

    _writable(out)
    if fit_periods is not None and model is RetentionModel.bgbb:
        raise _fail([msg("retention_fit_periods_bgbb")], "--fit-periods")
    sep, dec = _delimiter(delimiter), decimal.value if decimal else None
    try:
        if model is RetentionModel.sbg:
            table = read_survivors(csv, sep, dec)
            report, fragment = calibrate_survivors(table, fit_periods, str(csv))
        else:
            histories = read_histories(csv, sep, dec)
            report, fragment = calibrate_histories(histories, str(csv))
    except TransactionsError as err:
        raise _fail(err.problems, err.source) from None
    files = _write(out, "calibrate-retention", {"retention.json": report,
                                                "fragment.yaml": fragment})
    lang = current_lang()
    for note in report["data"]["notes"]:
        console.print(f"  {t('calibrate.note', lang)} {escape(localized(note, lang))}")
    names = ("alpha", "beta") if model is RetentionModel.sbg else (
        "alpha", "beta", "gamma", "delta")
    table_out = Table(title=t("calibrate.retention_title", lang, model=model.value))
    for col in ("parameter", "estimate", "low", "high"):
        table_out.add_column(t(f"calibrate.col_{col}", lang))
    for name in names:
        p = report[name]
        table_out.add_row(name, _fmt(p["estimate"]), _fmt(p["low"]), _fmt(p["high"]))
    table_out.add_row(t("calibrate.log_likelihood", lang),
                      number(report["log_likelihood"], lang, 1), "", "")
    console.print(table_out)
    if model is RetentionModel.sbg:
        proj = Table(title=t("calibrate.survivors_title", lang, last=report["fit_periods"]))
        named = any("cohort" in row for row in report["projection"])
        for col in (("cohort",) if named else ()) + ("period", "actual", "expected"):
            proj.add_column(t(f"calibrate.col_{col}", lang))
        proj.add_column("")
        for row in report["projection"]:
            proj.add_row(*((escape(row["cohort"]),) if named else ()), str(row["period"]),
                         number(row["survivors"], lang), number(row["expected"], lang, 1),
                         "" if row["fitted"] or row["period"] == 0
                         else t("calibrate.projected", lang))
        console.print(proj)
    console.print(f"{t('calibrate.note', lang)} {escape(localized(period_note(), lang))}",
                  highlight=False)
    console.print(escape(t("app.written", lang, files=", ".join(str(f) for f in files))))

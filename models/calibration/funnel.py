"""Calibration of the sales funnel from a CRM export: one row per lead.

Columns (names configurable): `lead_id`, `created`, `channel`, `first_response_hours` (blank: never
processed), `touches` (follow-up touches after the first contact), `outcome` (one of `OUTCOMES`),
`invoice_date`, `payment_date` (blank when the stage was not reached). Missing stages are allowed.

Estimated per channel and for all leads, each with a 95% interval, in the engine's terms
(docs/explanation/model.md, "The journey"): the share lost unprocessed; the response-time curve,
P(still interested after w hours) = 0.5^(w / half-life), fitted by maximum likelihood
(profile-likelihood interval); first-contact conversion and drop among interested leads;
conversion per follow-up touch (each touch a Bernoulli trial, so censored and finished follow-ups
both count); invoice payment probability; mean payment delay (exponential, chi-square interval),
from invoices issued at least `settled_days` before the export's last date so that slow payments
are not cut off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from models.calibration.transactions import (
    BadRows,
    TransactionsError,
    bad_rows_problem,
    parse_numbers,
    read_csv_table,
)
from models.compiled.units import days_to_months
from models.spec.errors import Message
from models.spec.messages import count, msg

OUTCOMES = ("won", "open", "lost_unprocessed", "lost_late", "lost_first_contact",
            "lost_follow_up", "lost_unpaid")
COLUMNS = ("lead_id", "created", "channel", "first_response_hours", "touches", "outcome",
           "invoice_date", "payment_date")
LN2 = math.log(2.0)


def wilson(successes: float, n: float) -> dict[str, Any]:
    """A share with its 95% Wilson score interval (good near 0 and 1, unlike the Wald one)."""
    if n <= 0:
        return {"estimate": None, "ci95": [None, None], "n": 0}
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(0.95, method="wilson")
    return {"estimate": successes / n, "ci95": [float(ci.low), float(ci.high)],
            "n": int(n), "successes": int(successes)}


def fit_half_life(waits: np.ndarray, late: np.ndarray) -> dict[str, Any]:
    """Maximum likelihood of the response half-life h (hours): a lead reached after w hours is
    still interested with probability 0.5^(w/h). 95% interval where the log-likelihood is within
    chi2(1, 0.95)/2 of its maximum (profile likelihood; the Wald interval is poor here)."""
    if late.sum() == 0 or late.all() or len(waits) < 10:
        return {"estimate": None, "ci95": [None, None], "n": len(waits),
                "note": "no lost-late leads (or all): the half-life is not identified"}

    def loglik(log_h: float) -> float:
        rate = LN2 / math.exp(log_h)
        x = rate * waits
        return float(-(x[~late]).sum() + np.log(-np.expm1(-x[late])).sum())

    res = optimize.minimize_scalar(lambda v: -loglik(v), bounds=(-5.0, 12.0), method="bounded")
    best, top = float(res.x), -float(res.fun)
    drop = stats.chi2.ppf(0.95, 1) / 2

    def edge(v: float) -> float:
        below: float = loglik(v) - (top - drop)
        return below

    low = optimize.brentq(edge, -6.0, best) if edge(-6.0) < 0 else -math.inf
    high = optimize.brentq(edge, best, 13.0) if edge(13.0) < 0 else math.inf
    return {"estimate": math.exp(best), "ci95": [math.exp(low), math.exp(high)],
            "n": len(waits), "lost_late": int(late.sum())}


def exponential_mean(delays: np.ndarray) -> dict[str, Any]:
    """Mean of exponential delays with its exact 95% interval: 2 n mean / mean ~ chi2(2n)."""
    n = len(delays)
    if n == 0:
        return {"estimate": None, "ci95": [None, None], "n": 0}
    total = float(delays.sum())
    return {"estimate": total / n, "ci95": [2 * total / stats.chi2.ppf(0.975, 2 * n),
                                            2 * total / stats.chi2.ppf(0.025, 2 * n)],
            "n": n, "median": float(np.median(delays))}


@dataclass(frozen=True)
class Leads:
    frame: pd.DataFrame  # columns: channel, wait_hours, touches, outcome, invoice, payment
    rows_read: int
    export_end: pd.Timestamp
    excluded: dict[str, list[int]] = field(default_factory=dict)  # reason -> rows left out
    notes: tuple[str, ...] = ()


# A first response later than this is not a response time but a typo or an overflow (1e400
# reads as inf): ten years of hours.
MAX_RESPONSE_HOURS = 87_600.0


def read_leads(path: str | Path, columns: dict[str, str] | None = None,
               bad_rows: BadRows = "error", delimiter: str | None = None,
               decimal: str | None = None) -> Leads:
    """Read and check a lead export. Problems name the rows and the fix (`TransactionsError`);
    with `bad_rows="skip"` the bad rows are left out and listed in `Leads.excluded`."""
    names = {c: c for c in COLUMNS} | (columns or {})
    source = str(path)
    try:
        raw, fmt = read_csv_table(path, delimiter, decimal)
    except pd.errors.EmptyDataError:
        raise TransactionsError(source, ["the file is empty; export the leads again, one row "
                                         "per lead with a header row"]) from None
    if raw.empty:
        raise TransactionsError(source, [msg("export_no_leads")])
    required = ("created", "channel", "outcome")
    missing = [names[c] for c in required if names[c] not in raw.columns]
    if missing:
        raise TransactionsError(source, [msg("column_not_found_rename", column=c,
                                             columns=list(raw.columns)) for c in missing])
    rownum = np.arange(2, 2 + len(raw))
    problems: list[str] = []
    masks: dict[str, np.ndarray] = {}  # reason -> bad rows (for --skip-bad-rows)

    def flag2(reason_key: str, bad: np.ndarray, fix: Message, **values: str) -> None:
        """A bad-rows problem in both languages; `reason_key` names its reason in [spec]."""
        if bad.any():
            reason = msg(reason_key, **values)
            masks[reason] = masks.get(reason, np.zeros(len(raw), dtype=bool)) | bad
            problems.append(bad_rows_problem(reason, rownum[bad].tolist(), fix))

    def col(name: str) -> pd.Series:
        key = names[name]
        return raw[key].str.strip() if key in raw.columns else pd.Series("", index=raw.index)

    def dates(name: str, required: bool) -> pd.Series:
        text = col(name)
        parsed = pd.to_datetime(text, format="mixed", errors="coerce")
        bad = (parsed.isna() & ((text != "") | required)).to_numpy()
        flag2("reason_malformed_column", bad, msg("fix_lead_date"), column=names[name])
        return parsed

    created = dates("created", True)
    invoice = dates("invoice_date", False)
    payment = dates("payment_date", False)
    # as the purchase export: a date after today is a typo (2097 for 2024), never evidence
    today = pd.Timestamp.now().normalize()
    later = today + pd.Timedelta(days=1)  # a day's grace for time zones
    flag2("reason_date_in_future",
          ((created > later) | (invoice > later) | (payment > later)).to_numpy(),
          msg("dates_after_today", today=today.date()))
    outcome = col("outcome").str.lower()
    flag2("reason_unknown_outcome", (~outcome.isin(OUTCOMES)).to_numpy(),
          msg("fix_outcome", outcomes=", ".join(OUTCOMES)))
    wait_text = col("first_response_hours")
    wait = parse_numbers(wait_text, fmt.decimal)
    flag2("reason_bad_response", ((wait.isna() & (wait_text != "")) | (wait < 0)).to_numpy(),
          msg("fix_response"))
    flag2("reason_response_too_large", (wait > MAX_RESPONSE_HOURS).to_numpy(),
          msg("response_too_late", hours=count(round(MAX_RESPONSE_HOURS))))
    touch_text = col("touches")
    touches = parse_numbers(touch_text.replace("", "0"), fmt.decimal)
    flag2("reason_bad_touches", (touches.isna() | (touches < 0)).to_numpy(), msg("fix_touches"))
    finite = touches.notna() & (touches >= 0)
    flag2("reason_touches_not_whole",
          (finite & ((touches == np.inf) | (touches.where(touches < np.inf, 0) % 1 != 0)))
          .to_numpy(), msg("touches_whole"))
    flag2("reason_payment_before_invoice",
          (payment.notna() & invoice.notna() & (payment < invoice)).to_numpy(),
          msg("payment_before_invoice"))
    bad = np.zeros(len(raw), dtype=bool)
    for mask in masks.values():
        bad |= mask
    excluded: dict[str, list[int]] = {}
    if problems and bad_rows == "error":
        raise TransactionsError(source, [
            p if isinstance(p, Message) or "--skip-bad-rows" in p
            else f"{p}; or pass --skip-bad-rows to leave these rows out" for p in problems])
    if bad.any():
        excluded = {reason: rownum[mask].tolist() for reason, mask in masks.items()}
        if bad.all():
            raise TransactionsError(source, ["no usable leads are left; fix the rows listed"])
    good = ~bad
    frame = pd.DataFrame({"channel": col("channel").replace("", "(none)"), "created": created,
                          "wait_hours": wait, "touches": touches.where(good, 0),
                          "outcome": outcome, "invoice": invoice, "payment": payment})
    frame = frame.loc[good].reset_index(drop=True)
    frame["touches"] = frame["touches"].astype(int)
    end = pd.concat([frame["created"], frame["invoice"], frame["payment"]]).max()
    return Leads(frame, len(raw), end, excluded, (fmt.note(),))


def estimate_funnel(frame: pd.DataFrame, export_end: pd.Timestamp, settled_days: float = 30.0
                    ) -> dict[str, Any]:
    """The funnel estimates of one group of leads (see the module docstring)."""
    out = frame["outcome"]
    processed = frame["wait_hours"].notna()
    late = (out == "lost_late").to_numpy()
    invoiced = frame["invoice"].notna() | out.isin(["won", "lost_unpaid"])
    at_first = invoiced & (frame["touches"] == 0)
    interested = processed & ~(out == "lost_late")
    entered_follow_up = (frame["touches"] > 0) | (out == "lost_follow_up")
    resolved_first = interested & (at_first | entered_follow_up | (out == "lost_first_contact"))
    not_closed = resolved_first & ~at_first
    in_follow = frame["touches"] > 0
    closed_in_follow = invoiced & in_follow
    settled = out.isin(["won", "lost_unpaid"])
    cutoff = export_end - pd.Timedelta(days=settled_days)
    paid_delays = frame.loc[(out == "won") & frame["payment"].notna() & frame["invoice"].notna()
                            & (frame["invoice"] <= cutoff)]
    delays = ((paid_delays["payment"] - paid_delays["invoice"]).dt.total_seconds()
              / 86400).to_numpy()
    half_life = fit_half_life(frame.loc[processed, "wait_hours"].to_numpy(float),
                              late[processed.to_numpy()])
    first = wilson(float(at_first.sum()), float(resolved_first.sum()))
    curve = None
    if half_life["estimate"] is not None and first["estimate"] is not None:
        curve = {f"{w}h": first["estimate"] * 0.5 ** (w / half_life["estimate"])
                 for w in (0, 1, 4, 8, 24, 48)}
    return {
        "leads": len(frame),
        "lost_unprocessed": wilson(float((out == "lost_unprocessed").sum()), len(frame)),
        "response_half_life_hours": half_life,
        "first_contact_conversion": first,
        "conversion_at_first_contact_by_response_hours": curve,
        "first_contact_drop": wilson(float((not_closed & (out == "lost_first_contact")).sum()),
                                     float(not_closed.sum())),
        "conversion_per_touch": wilson(float(closed_in_follow.sum()),
                                       float(frame.loc[in_follow, "touches"].sum())),
        "invoice_paid_probability": wilson(float((out == "won").sum()), float(settled.sum())),
        "payment_delay_days": exponential_mean(delays),
    }


def calibrate_funnel(leads: Leads, settled_days: float = 30.0) -> dict[str, Any]:
    """Estimates for all leads and per channel, and a scenario fragment (journey parameters of
    all leads; each channel's lead quality as its first-contact conversion over the pooled)."""
    f = leads.frame
    pooled = estimate_funnel(f, leads.export_end, settled_days)
    channels = {str(name): estimate_funnel(group, leads.export_end, settled_days)
                for name, group in f.groupby("channel", sort=True)}

    def value(d: dict[str, Any], key: str, default: float) -> float:
        v = d[key]["estimate"]
        return default if v is None else float(v)

    base = value(pooled, "first_contact_conversion", 0.0)
    months = max(days_to_months((leads.export_end - f["created"].min()).days), 1e-9)
    fragment = {
        "channels": [{"name": name, "organic_leads": round(est["leads"] / months, 2),
                      "conversion_multiplier": round(
                          value(est, "first_contact_conversion", base) / base, 4) if base else 1.0}
                     for name, est in channels.items()],
        "journey": {
            "lost_unprocessed": value(pooled, "lost_unprocessed", 0.0),
            "response_half_life_hours": pooled["response_half_life_hours"]["estimate"],
            "first_contact_conversion": base,
            "first_contact_drop": value(pooled, "first_contact_drop", 0.0),
            "follow_up": {"conversion_per_touch": value(pooled, "conversion_per_touch", 0.0)},
            "invoice": {"paid_probability": value(pooled, "invoice_paid_probability", 1.0),
                        "delay_days": value(pooled, "payment_delay_days", 0.0)},
        },
    }
    return {"data": {"rows_read": leads.rows_read, "rows_used": len(f),
                     "rows_not_used": {reason: {"count": len(rows), "rows": rows}
                                       for reason, rows in leads.excluded.items()},
                     "notes": list(leads.notes),
                     "export_end": leads.export_end.isoformat(), "settled_days": settled_days},
            "all": pooled, "channels": channels, "scenario_fragment": fragment}

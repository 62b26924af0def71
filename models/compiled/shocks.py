"""The stress shocks, declared once: each shock's name, its other spellings, and its changes.

A shock is a bet with no cost: changes (scale, add) from a start month. The stress test
(`sim.experiments.stress`, `growthsim stress --preset`, the app's investor page) runs the
`PRESETS`; the app's stress page runs the five standard shocks (`STANDARD`, built by
`models.compiled.bets.stress_shocks`), which are the same shocks under other names (`ALIASES`)
except fewer_leads, the leads half of recession. Every spelling is accepted wherever a shock is
named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.compiled.form import point_values, realise
from models.spec.distributions import _Dist
from models.spec.messages import msg
from models.spec.scenario import Scenario

CHURN_CAP = 0.95  # churn is a probability: a shock takes it this high at most


@dataclass(frozen=True)
class Shock:
    """A shock of the catalogue: its name, its other spellings, and whether the stress test
    runs it among its presets."""

    name: str
    aliases: tuple[str, ...] = ()
    preset: bool = True


CATALOGUE = (
    Shock("recession"),
    Shock("fewer_leads", preset=False),  # the leads half of recession
    Shock("cac_spike", ("higher_cac",)),
    Shock("churn_spike", ("higher_churn",)),
    Shock("payments_delayed", ("later_payments",)),
    Shock("manager_leaves"),
    Shock("channel_off"),
)
PRESETS = tuple(s.name for s in CATALOGUE if s.preset)
ALIASES = {alias: s.name for s in CATALOGUE for alias in s.aliases}
# The app's five standard shocks, in the spelling its bets are named by.
STANDARD = ("fewer_leads", "higher_cac", "higher_churn", "later_payments", "manager_leaves")


def canonical(name: str) -> str:
    """The catalogue's name of a shock however it is spelled (`higher_cac` -> `cac_spike`); a
    `channel_off:NAME` keeps its channel."""
    kind, sep, arg = name.partition(":")
    return ALIASES.get(kind, kind) + sep + arg


def churn_changes(spec: Scenario, factor: float) -> list[dict[str, Any]]:
    """Every tier's churn scaled by `factor`, no higher than the cap in any draw."""
    changes: list[dict[str, Any]] = []
    for t in spec.tiers:
        for name in ("monthly_churn", "monthly_churn_no_result"):
            value = getattr(t, name)
            if value is None:
                continue
            # capped in every draw, however high an uncertain churn is drawn
            changes.append({"path": f"tiers.{t.name}.{name}", "scale": factor,
                            "at_most": CHURN_CAP})
    return changes


def _largest_channel(spec: Scenario) -> str:
    raw = realise(spec, point_values(spec))
    return max(raw.channels, key=lambda c: (float(c.budget_monthly), float(c.organic_leads))).name


def shock_changes(spec: Scenario, name: str,
                  severity: float = 1.0) -> tuple[str, list[dict[str, Any]]]:
    """A shock's description and changes at `severity` (1: the size described), by any of its
    names."""
    if severity <= 0:
        raise ValueError(msg("severity_not_positive", severity=f"{severity:g}"))
    return changes_of(spec, name, severity)


def changes_of(spec: Scenario, name: str, s: float) -> tuple[str, list[dict[str, Any]]]:
    """`shock_changes` without the check of the severity (the app's standard shocks take any)."""
    kind, _, arg = canonical(name).partition(":")
    if kind == "fewer_leads":
        fewer = max(0.0, 1 - 0.3 * s)
        return (f"{min(100, 30 * s):.0f}% fewer leads from every channel",
                [{"path": "channels.*.max_leads", "scale": fewer},
                 {"path": "channels.*.organic_leads", "scale": fewer}])
    if kind == "recession":
        fewer, worse = max(0.0, 1 - 0.3 * s), max(0.0, 1 - 0.2 * s)
        return (f"recession: {min(100, 30 * s):.0f}% fewer leads, conversion "
                f"{min(100, 20 * s):.0f}% lower", [
                    *changes_of(spec, "fewer_leads", s)[1],
                    {"path": "referrals.leads_per_client_month", "scale": fewer},
                    {"path": "journey.first_contact_conversion", "scale": worse},
                    {"path": "journey.follow_up.conversion_per_touch", "scale": worse}])
    if kind == "cac_spike":
        return (f"each paid lead costs {50 * s:.0f}% more",
                [{"path": "channels.*.half_saturation_budget", "scale": 1 + 0.5 * s}])
    if kind == "churn_spike":
        return f"churn {50 * s:.0f}% higher in every tier", churn_changes(spec, 1 + 0.5 * s)
    if kind == "payments_delayed":
        return (f"invoices paid {1 + s:g} times as late and {min(100, 10 * s):.0f}% less often",
                [{"path": "journey.invoice.delay_days", "scale": 1 + s},
                 {"path": "journey.invoice.paid_probability", "scale": max(0.0, 1 - 0.1 * s)}])
    if kind == "manager_leaves":
        managers = spec.sales.managers
        if isinstance(managers, _Dist) or managers < 2:
            raise ValueError(msg("manager_leaves_needs_two"))
        leave = min(int(managers) - 1, max(1, round(s)))
        return (f"{leave} sales manager(s) leave", [{"path": "sales.managers", "add": -leave}])
    if kind == "channel_off":
        channel = arg or _largest_channel(spec)
        names = [c.name for c in spec.channels]
        if channel not in names:
            raise ValueError(msg("channel_off_unknown", channel=channel,
                                 names=", ".join(names)))
        keep = max(0.0, 1 - s)
        return (f"channel {channel} switched off" if keep == 0 else
                f"channel {channel} at {keep:.0%}", [
                    {"path": f"channels.{channel}.max_leads", "scale": keep},
                    {"path": f"channels.{channel}.organic_leads", "scale": keep}])
    raise ValueError(msg("no_preset", name=name, presets=", ".join(PRESETS)))

"""Optional per-event records of a run, for calibration checks and synthetic exports.

The ledger keeps monthly totals only. Where a check needs events one by one (the weekly tracking
plot of a calibrated forecast; a per-lead export generated from a known scenario), pass a
`Recorder` to `sim.engines.agent.simulate`: the engine calls its methods as things happen. The base
class ignores everything; subclasses keep what they need. Without a recorder the engine pays
one `is None` test per recorded event.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class Recorder:
    """Receives events from the engine; every method is a no-op here."""

    def purchase(self, day: float, amount: float, customer: int) -> None:
        """A purchase of a calibrated buyer (a tier with `buying`): `customer` is the index in
        the starting customer base, -1 for a client acquired during the run."""

    def lead_event(self, lead: int, event: str, day: float, value: float) -> None:
        """A step of a lead's journey. `lead` identifies the lead while it is open (a new
        'created' starts a new lead); events: created (value: channel index), first_response
        (value: days from arrival to the first contact), touch (value: follow-up number),
        invoiced, paid, and the leaks lost_unprocessed, lost_late, lost_first_contact,
        lost_follow_up, lost_unpaid. Leads of the starting state send no 'created'."""


@dataclass
class PurchaseLog(Recorder):
    """Keeps every recorded purchase."""

    days: list[float] = field(default_factory=list)
    amounts: list[float] = field(default_factory=list)
    customers: list[int] = field(default_factory=list)

    def purchase(self, day: float, amount: float, customer: int) -> None:
        self.days.append(day)
        self.amounts.append(amount)
        self.customers.append(customer)

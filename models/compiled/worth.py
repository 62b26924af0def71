"""What a lost lead is worth (docs/explanation/leak-worth.md): the revenue it would have
brought had it not been lost at its stage, on average.

A lead lost at a stage is not a certain client: had it passed that stage it would still have
faced the stages after it at the scenario's own rates. Its worth is the chance it would then have
gone on to pay (`chance_to_pay`) times the value of a client of its segment
(`Params.lead_value`: revenue within the months left in the horizon, moves up the pyramid
included; `models.compiled.value.client_revenue_within`). The sum over stages is what plugging
each leak alone would bring.

"Not lost at the stage" means, stage by stage (the counterfactual each leak's owner controls):

- `lost_unprocessed`: the lead is processed: called at the scenario's routing delay
  (`base_response_days`; the queue's wait is a result of the run, not a parameter, so it is left
  out: with a busy sales team this overstates the leak a little), still interested with chance
  0.5 ** (delay / half-life), then as below;
- `lost_late`: it is still interested when called: the first contact closes with
  `first_contact_conversion` × its quality, else it drops out with `first_contact_drop`, else it
  is followed up;
- `lost_first_contact`: it does not drop out: the follow-ups close with
  1 - (1 - `conversion_per_touch` × quality) ** `max_touches`;
- `lost_follow_up`: the follow-ups do not stop yet: they go on for one more round of the cadence
  the sources name, most sales happening by the 5th contact (the owner's control panel): at most
  `CADENCE_CONTACTS` (5) more touches at the scenario's `conversion_per_touch` × quality (and
  never past the most a journey may have, `MAX_TOUCHES`, 15), closing with
  1 - (1 - `conversion_per_touch` × quality) ** min(5, 15 - `max_touches`). Not "until the
  15th touch": a sale on the 15th weekly call is not what an owner loses by stopping at the 5th;
- and after every deal the invoice is paid with `paid_probability`, or after one of the
  reminders (`lost_unpaid`: it is paid, so the chance is 1).

Quality is the lead's conversion multiplier (its channel's, or referrals', times its segment's),
as the engines apply it. `chance_to_pay` takes plain numbers so that the fast engine compiles this
same function with numba: the rule is written once.
"""

from __future__ import annotations

from models.spec.limits import MAX_TOUCHES

# The stages where a lead (not yet a client) is lost, in the order of the journey; the ledger's
# LEAKS are these and then `lost_client`. An engine passes a stage's index.
LEAD_STAGES = ("lost_unprocessed", "lost_late", "lost_first_contact", "lost_follow_up",
               "lost_unpaid")
UNPROCESSED, LATE, FIRST_CONTACT, FOLLOW_UP, UNPAID = range(len(LEAD_STAGES))
# The most touches a lead lost at follow-up is valued as still having: one round of the cadence
# the sources name, "most sales happen on the 2nd to the 5th contact" (the owner's control
# panel; docs/explanation/leak-worth.md).
CADENCE_CONTACTS = 5


def chance_to_pay(stage: int, quality: float, base_response_days: float, half_life_days: float,
                  first_contact_conversion: float, first_contact_drop: float,
                  max_touches: float, conversion_per_touch: float, paid_probability: float,
                  reminders: float, reminder_success: float) -> float:
    """The chance a lead lost at `stage` (an index of LEAD_STAGES) would have paid, had it not
    been lost there, through the remaining stages at these rates (see the module's text)."""
    paid = paid_probability
    if reminders > 0 and reminder_success > 0:
        paid += (1.0 - paid) * (1.0 - (1.0 - min(reminder_success, 1.0)) ** reminders)
    if stage == UNPAID:
        return 1.0
    touch = min(conversion_per_touch * quality, 1.0)
    if stage == FOLLOW_UP:  # followed up one more round of the sources' cadence
        more = max(min(CADENCE_CONTACTS, MAX_TOUCHES - max_touches), 0.0)
        missed: float = (1.0 - touch) ** more
        return (1.0 - missed) * paid
    follow_up: float = 1.0 - (1.0 - touch) ** max_touches
    if stage == FIRST_CONTACT:
        return follow_up * paid
    close = min(first_contact_conversion * quality, 1.0)
    contact = close + (1.0 - close) * (1.0 - min(first_contact_drop, 1.0)) * follow_up
    if stage == LATE:
        return contact * paid
    # UNPROCESSED: called at the routing delay (an infinite half-life: interest never decays)
    interested: float = 0.5 ** (base_response_days / half_life_days)
    return interested * contact * paid

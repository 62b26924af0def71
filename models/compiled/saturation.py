"""The saturation curve of a paid channel: the leads a month's budget buys, written once (the
compiled form and the workload estimate both read it)."""

from __future__ import annotations


def saturation_leads(budget: float, max_leads: float, half_saturation_budget: float) -> float:
    """Paid leads a month bought by `budget`: a Michaelis-Menten (Hill, n=1) saturation curve.

    Zero budget buys nothing, `half_saturation_budget` buys half of `max_leads`, and each extra
    unit of money buys fewer leads than the one before (diminishing returns).

    Parameters
    ----------
    budget
        The month's advertising budget.
    max_leads
        The most leads a month the channel can bring, at an unlimited budget.
    half_saturation_budget
        The budget that buys half of `max_leads`.

    Returns
    -------
    float
        Paid leads a month (0 when the budget or the ceiling is not positive).

    Examples
    --------
    >>> saturation_leads(1000.0, 300.0, 1000.0)
    150.0
    """
    if budget <= 0 or max_leads <= 0:
        return 0.0
    return max_leads * budget / (budget + half_saturation_budget)

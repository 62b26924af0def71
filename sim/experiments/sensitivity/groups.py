"""Which lever of revenue and which stage of the customer journey a parameter belongs to:
the groups sensitivity indices and the value of information are summed over.
"""

from __future__ import annotations

# What is not one of the four levers of revenue: costs and the scenario's other settings.
OTHER = "costs_and_other"
STAGES = ("acquisition", "processing", "first_contact", "follow_up", "invoice", "onboarding",
          "repeat_purchase", "development", "retention", "return", "costs_and_other")

_SEASON_LEVER = {"leads": "leads", "channels": "leads", "referrals": "leads",
                 "conversion": "conversion", "purchases": "frequency", "churn": "frequency"}
_SEASON_STAGE = {"leads": "acquisition", "channels": "acquisition", "referrals": "acquisition",
                 "conversion": "first_contact", "purchases": "repeat_purchase",
                 "churn": "retention"}


def lever_of(path: str) -> str:
    """Which of the four levers of revenue (systemic marketing) a parameter acts through."""
    head = path.partition(".")[0]
    last = path.rsplit(".", 1)[-1]
    if head == "seasonality":  # a profile acts through what it multiplies
        return _SEASON_LEVER.get(path.split(".")[1], OTHER)
    if head in ("channels", "referrals", "market", "trend"):
        return "leads"
    if head in ("journey", "sales") and last not in ("salary_monthly",):
        return "conversion"
    if head == "segments":
        return {"conversion_multiplier": "conversion", "price_multiplier": "average_check",
                "churn_multiplier": "frequency", "frequency_multiplier": "frequency"}.get(
                    last, "conversion")
    if head == "tiers":
        if ".monthly_churn." in path:  # an sBG churn's alpha, beta or scale
            return "frequency"
        if last in ("price", "upsell_probability", "entry_share"):
            return "average_check"
        if last in ("purchase_interval_months", "monthly_churn", "monthly_churn_no_result",
                    "onboarding_probability"):
            return "frequency"
    if head in ("retention", "win_back") and last in ("churn_reduction", "probability",
                                                       "delay_days"):
        return "frequency"
    return OTHER


def stage_of(path: str) -> str:
    """Which stage of the customer journey a parameter belongs to (the customer journey's lifecycle
    and the owner's control panel's funnel stages)."""
    head, _, rest = path.partition(".")
    last = path.rsplit(".", 1)[-1]
    if head == "seasonality":
        return _SEASON_STAGE.get(path.split(".")[1], OTHER)
    if head in ("channels", "referrals", "market", "trend"):
        return "acquisition"
    if head == "sales":
        return "processing" if last != "salary_monthly" else OTHER
    if head == "segments":  # a segment's multipliers act at the stage they scale
        return {"conversion_multiplier": "first_contact", "committee_delay_days": "follow_up",
                "price_multiplier": "repeat_purchase", "frequency_multiplier": "repeat_purchase",
                "churn_multiplier": "retention"}.get(last, OTHER)
    if head == "journey":
        if rest.startswith("follow_up"):
            return "follow_up"
        if rest.startswith("invoice"):
            return "invoice"
        if rest.startswith("first_contact"):
            return "first_contact"
        return "processing"
    if head == "tiers":
        if last.startswith("onboarding"):
            return "onboarding"
        if last.startswith("upsell"):
            return "development"
        if last.startswith("monthly_churn") or ".monthly_churn." in path:
            return "retention"
        if last in ("price", "purchase_interval_months", "entry_share"):
            return "repeat_purchase"
        return OTHER
    if head == "retention":
        return "retention"
    if head == "win_back":
        return "return"
    return OTHER

"""No investment option recovers more than the leaks it targets are worth (MODEL.md, "What a loss
is worth"): on each example scenario, each option's paired extra revenue over the horizon is at
most what the losses at the stages it targets are worth in the plan, beyond the noise (its 95%
interval's low end). A worth that undervalued a stage (a lead lost at follow-up valued at no
more touches) would fail here; one that overvalued it is what `tests/test_leaks.py` pins down."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.load import load_scenario
from sim.experiments.compare import compare_bets
from sim.report import leaks as leak_words
from sim.report import owner

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["b2b_services", "ecommerce"])
def test_no_option_recovers_more_than_the_leaks_it_targets_are_worth(name: str) -> None:
    spec = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    targeting = {b for bets in owner.stage_bets(spec).values() for b in bets}
    cmp = compare_bets(spec, sorted(targeting), replications=30, seed=3, workers=1)
    table = owner.leak_recovery(cmp)
    assert set(table["bet"]) == targeting  # every option that targets a leak is checked
    for row in table.to_dict(orient="records"):
        assert row["worth"] > 0, row
        assert row["gain_lo"] <= row["worth"], (
            f"{row['bet']} adds {row['gain']:,.0f} (95% from {row['gain_lo']:,.0f}) of revenue, "
            f"more than the {row['worth']:,.0f} its leaks {row['stages']} are worth")
    # the share is shown beside the options, in both languages
    for lang, head in (("en", "Recovered"), ("ru", "Возвращает")):
        shown = leak_words.recovery_rows(cmp, lang)
        assert list(shown.columns)[-1] == head and len(shown) == len(table)

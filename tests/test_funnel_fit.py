"""`calibrate funnel` recovers the known scenario behind the shipped synthetic CRM export, and
bad lead exports are reported by row with the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from models.calibration.funnel import calibrate_funnel, read_leads
from models.load import load_scenario
from sim.cli.main import app
from sim.experiments.funnel_export import funnel_export

ROOT = Path(__file__).parent.parent
KNOWN = ROOT / "scenarios" / "data" / "funnel_known.yaml"
EXPORT = ROOT / "scenarios" / "data" / "funnel_export.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export the agent engine generates now from the known scenario, seed 1."""
    path = tmp_path_factory.mktemp("funnel") / "export.csv"
    funnel_export(load_scenario(KNOWN), 1, engine="agent").to_csv(path, index=False)
    return path


def test_the_shipped_export_is_what_the_module_makes(regenerated: Path) -> None:
    """`python -m sim.experiments.funnel_export` (agent engine, seed 1) makes the shipped file
    byte for byte: catches an example that no longer comes from the scenario it names, and an
    agent engine whose random streams changed."""
    assert regenerated.read_bytes() == EXPORT.read_bytes()


@pytest.fixture(scope="module", params=["shipped", "regenerated"])
def result(request: pytest.FixtureRequest, regenerated: Path) -> dict[str, Any]:
    """The shipped export, and one the current engine generates now (so an engine rewrite that
    loses the lead-event hook is caught here)."""
    return calibrate_funnel(read_leads(EXPORT if request.param == "shipped" else regenerated))


def _inside(estimate: dict[str, Any], truth: float) -> bool:
    low, high = estimate["ci95"]
    return bool(low <= truth <= high)


def test_export_has_every_stage() -> None:
    shipped = pd.read_csv(EXPORT, dtype=str, keep_default_na=False)
    assert set(shipped["outcome"]) == {"won", "open", "lost_unprocessed", "lost_late",
                                       "lost_first_contact", "lost_follow_up", "lost_unpaid"}
    assert EXPORT.stat().st_size < 1_000_000


def test_recovers_known_scenario(result: dict[str, Any]) -> None:
    """Each estimate's 95% interval covers the scenario's value (seed fixed; 26 intervals, and
    each value also lies within 3 of its own standard errors, so the test is stable)."""
    spec = load_scenario(KNOWN)
    j = spec.journey
    quality = {c.name: float(c.conversion_multiplier) for c in spec.channels}
    groups = {"all": result["all"], **result["channels"]}
    assert set(result["channels"]) == {"search_ads", "partners"}
    for name, est in groups.items():
        assert _inside(est["lost_unprocessed"], float(j.lost_unprocessed)), name
        assert _inside(est["response_half_life_hours"], float(j.response_half_life_hours)), name
        assert _inside(est["first_contact_drop"], float(j.first_contact_drop)), name
        assert _inside(est["invoice_paid_probability"], float(j.invoice.paid_probability)), name
        assert _inside(est["payment_delay_days"], float(j.invoice.delay_days)), name
        if name != "all":  # the pooled conversions mix the channels' qualities
            q = quality[name]
            assert _inside(est["first_contact_conversion"],
                           float(j.first_contact_conversion) * q), name
            assert _inside(est["conversion_per_touch"],
                           float(j.follow_up.conversion_per_touch) * q), name
    # The channels differ as the scenario says: partners convert 1.5 times as well.
    ch = result["channels"]
    assert ch["partners"]["first_contact_conversion"]["ci95"][0] > ch["search_ads"][
        "first_contact_conversion"]["ci95"][1]


def test_fast_engines_export_recovers_known_scenario(tmp_path: Path) -> None:
    """The fast engine's recorder serves the export too (its default engine): every estimate of
    the stages both engines record lies within 3 of its standard errors of the scenario's value
    (fixed seed; the 95% intervals of 26 estimates are too many to all cover on every stream)."""
    path = tmp_path / "export.csv"
    funnel_export(load_scenario(KNOWN), 1, engine="fast").to_csv(path, index=False)
    result = calibrate_funnel(read_leads(path))
    j = load_scenario(KNOWN).journey
    truth = {"lost_unprocessed": j.lost_unprocessed,
             "response_half_life_hours": j.response_half_life_hours,
             "first_contact_drop": j.first_contact_drop,
             "invoice_paid_probability": j.invoice.paid_probability,
             "payment_delay_days": j.invoice.delay_days}
    for name, est in {"all": result["all"], **result["channels"]}.items():
        for field, value in truth.items():
            low, high = est[field]["ci95"]
            se = (high - low) / (2 * 1.96)
            assert abs(est[field]["estimate"] - float(value)) <= 3 * se, (name, field)


def test_funnel_cli(tmp_path: Path) -> None:
    res = runner.invoke(app, ["calibrate", "funnel", str(EXPORT), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "funnel.json").exists() and (tmp_path / "funnel_fragment.yaml").exists()


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t.replace("2025-01-01 01:12", "Jan the first", 1), ["malformed created in row 2"]),
    (lambda t: t.replace(",lost_late,", ",gave_up,", 1), ["unknown outcome in row", "use one of"]),
    (lambda t: "", ["empty"]),
    (lambda t: t.replace("outcome", "result", 1), ["column 'outcome' not found"]),
])
def test_bad_lead_export(tmp_path: Path, edit: Any, expected: list[str]) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(edit(EXPORT.read_text()))
    res = runner.invoke(app, ["calibrate", "funnel", str(path), "--out", str(tmp_path / "o")])
    out = " ".join(res.output.split())
    assert res.exit_code == 2, out
    assert "Traceback" not in out
    for phrase in expected:
        assert phrase in out, (phrase, out)

"""`growthsim validate`: check a scenario file and say what is wrong, field by field.
"""

from __future__ import annotations

from sim.cli import common
from sim.cli.common import ScenarioArg, SetOpt, console
from sim.report.terminal import escape


def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file and say what is wrong, field by field."""
    spec = common.load(scenario, set_)
    from models.compiled.sampling import uncertain_parameters

    n = len(uncertain_parameters(spec))
    name = common.shorten(repr(spec.name), "the scenario's name")
    console.print(f"[green]ok[/]: {escape(str(scenario))} ({escape(name)}, "
                  f"{spec.horizon_months} months, "
                  f"{len(spec.channels)} channels, {len(spec.tiers)} tiers, "
                  f"{n} uncertain parameters)")

"""`growthsim validate`: check a scenario file and say what is wrong, field by field.
"""

from __future__ import annotations

from models.words import t
from sim.cli import common
from sim.cli.common import ScenarioArg, SetOpt, console
from sim.cli.options import current_lang
from sim.report.terminal import escape


def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file and say what is wrong, field by field."""
    spec = common.load(scenario, set_)
    from models.compiled.sampling import uncertain_parameters

    n = len(uncertain_parameters(spec))
    name = common.shorten(repr(spec.name), "the scenario's name")
    lang = current_lang()
    console.print(t("cli.valid", lang, source=escape(str(scenario)), name=escape(name),
                    months=spec.horizon_months, channels=len(spec.channels),
                    tiers=len(spec.tiers), uncertain=n))

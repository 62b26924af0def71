"""`growthsim schema`: the JSON Schema of scenario files.
"""

from __future__ import annotations

import json

from sim.cli.common import console


def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from models.spec.scenario import Scenario

    console.print_json(json.dumps(Scenario.model_json_schema(by_alias=True)))

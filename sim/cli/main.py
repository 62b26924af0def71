"""`growthsim`: the command line. This module only makes the app and registers the commands, one
module each (`sim.cli.run`, `sim.cli.compare`, ...); what they share is `sim.cli.common`.

Exit codes: 0 success, 2 bad input (scenario, override, option), 1 anything else.
"""

from __future__ import annotations

import sys

from sim.cli import (
    batch,
    bench,
    common,
    compare,
    helptext,
    optimise,
    run,
    schema,
    seek,
    sensitivity,
    stress,
    track,
    validate,
    voi,
)
from sim.cli.calibrate import app as calibrate_app

app = helptext.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="GrowthSim: simulate a business's customer journey and forecast its growth.",
    pretty_exceptions_enable=False,
)
app.add_typer(calibrate_app, name="calibrate")
app.command("batch")(batch.batch)
app.command("results")(batch.results)
app.command()(validate.validate)
app.command()(schema.schema)
app.command()(run.run)
app.command()(compare.compare)
app.command()(seek.seek)
app.command()(sensitivity.sensitivity)
app.command()(stress.stress)
app.command()(track.track)
app.command()(optimise.optimise)
app.command("value-of-information")(voi.value_of_information)
app.command()(bench.bench)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        common.errors.print("interrupted; results written before this point are complete")
        sys.exit(130)


if __name__ == "__main__":
    main()

"""GrowthSim in the browser: `streamlit run app.py`.

Thin on purpose: widgets -> scenario (models.load) -> library call (sim.experiments, the same
ones the CLI makes) -> tables (sim.report.owner) and figures (sim.report.charts), words from
sim.report.i18n. The pages live in `sim/app/` (state, running, widgets, one module per page).
The app writes no files: uploads are read in memory, the edited scenario is offered as a
download.
"""

from sim.app.main import main

main()

"""GrowthSim in the browser (`streamlit run app.py`): state, running, widgets and one module per
page, thin over the library (`sim.experiments`) and the report layer (`sim.report`)."""

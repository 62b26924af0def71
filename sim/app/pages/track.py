"""The plan-vs-actual page: upload monthly actuals, see each month in the plan's fan, the rates
of the journey that are off, and the re-forecast beside the plan (`sim.experiments.track`)."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

import streamlit as st

from models.calibration.actuals import Actuals, ActualsError, read_actuals
from models.load import scenario_hash
from models.spec.scenario import Scenario
from sim.app.running import progressive, requested
from sim.app.state import state
from sim.app.widgets import chart, provenance, show_table
from sim.experiments.track import TrackResult, track, tracked_columns
from sim.report import track as report
from sim.report.i18n import Lang, percent

EXAMPLE = Path(__file__).resolve().parents[3] / "scenarios" / "data" / "b2b_services_actuals.csv"


def _actuals(spec: Scenario, lang: Lang) -> tuple[Actuals, str] | None:
    """The actuals chosen (an upload, else the example if ticked) and their content hash; a
    file that cannot be used is said in the language, field by field, and gives None."""
    upload = st.file_uploader(report.w("upload", lang), type=["csv", "txt"], key="track_upload")
    st.caption(report.w("upload_hint", lang))
    st.checkbox(report.w("use_example", lang), key="track_example")
    if upload is not None:
        data, name = upload.getvalue(), upload.name
    elif state().get("track_example"):
        data, name = EXAMPLE.read_bytes(), EXAMPLE.name
    else:
        st.info(report.w("no_actuals", lang))
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(data)
        try:
            actuals = read_actuals(path, spec)
        except ActualsError as err:
            st.error(err.text(lang).replace(str(path), name))
            return None
    return Actuals(actuals.frame, name, actuals.notes), hashlib.sha256(data).hexdigest()


def page(spec: Scenario, lang: Lang) -> None:
    st.header(report.w("page_title", lang))
    st.caption(report.w("page_caption", lang))
    chosen = _actuals(spec, lang)
    if chosen is None:
        return
    actuals, digest = chosen
    state()["track_digest"] = digest
    # The figure to chart: chosen outside the results, which are drawn twice (quick, refined).
    shown = tracked_columns(spec, actuals)
    metric = st.selectbox(report.w("figure_choice", lang), shown, key=f"track_metric@{lang}",
                          format_func=lambda m: report.figure_name(m, spec, lang))
    settings = requested(f"track_settings:{scenario_hash(spec)}", ("track_digest",),
                         report.w("run", lang), lang)
    if settings is None:
        return

    def run(reps: int, seed: int, progress: Callable[[int, int], None],
            pool: Executor) -> TrackResult:
        # the bets are ranked on the page's replications too (a quick answer, then refined)
        return track(spec, actuals, replications=max(reps, 2), seed=seed, executor=pool,
                     engine="fast",
                     bet_replications=max(reps, 2), progress=progress)

    def render(result: TrackResult, tag: str) -> None:
        provenance(spec, result.plan.replications, result.seed, lang)
        for line in report.summary_lines(result, lang):
            st.markdown(line)
        st.subheader(report.w("rates_title", lang))
        show_table(report.rates_table(result, lang), f"rates-{tag}")
        chart(st, lambda: report.figure(result, metric or shown[0], lang), f"fan-{tag}", lang)
        st.subheader(report.w("flagged_title", lang))
        flagged = report.positions_table(result, lang, only_flagged=True)
        if len(flagged):
            show_table(flagged, f"flagged-{tag}")
        else:
            st.success(report.w("none_flagged", lang))
        st.subheader(report.w("side_title", lang))
        if spec.goal is not None and "deadline_passed" not in result.notes:
            c1, c2 = st.columns(2)
            c1.metric(report.w("goal_plan", lang), percent(result.plan.p_goal()[0], lang))
            c2.metric(report.w("goal_now", lang), percent(result.reforecast.p_goal()[0], lang))
        bets = report.bets_table(result, lang)
        if bets is not None:
            st.subheader(report.w("bets_title", lang))
            show_table(bets, f"bets-{tag}")

    progressive(("track", scenario_hash(spec), settings), lang, run, render,
                report.w("running", lang))

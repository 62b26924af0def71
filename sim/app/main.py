"""The app's frame: language, pages, seed and replications in the sidebar; one page at a time."""

from __future__ import annotations

import streamlit as st

from models.words import LANGS, LANGUAGE_NAMES, Lang, t
from sim.app.pages import compare, dashboard, optimise, scenario, sensitivity, stress
from sim.app.pages import track as track_page
from sim.app.running import preparation
from sim.app.state import MIN_REPS, PAGES, current_scenario, init_state, state
from sim.app.widgets import show_problems

# --- main -----------------------------------------------------------------------------------------

# Streamlit's own Stop (in the running-man status widget) is hidden: the app's Stop, at the top
# of the page, cancels the pool's queued replications and keeps the quick answer. The file
# uploader's fixed English words are replaced by the language's (CSS: they are not parameters).
_CSS = """<style>
[data-testid="stStatusWidget"] {{visibility: hidden;}}
[data-testid="stFileUploaderDropzoneInstructions"] {{display: none;}}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] {{display: none;}}
[data-testid="stFileUploaderDropzone"] button span[data-has-shortcut]::after {{
  content: "{browse}";}}
</style>"""


def main() -> None:
    st.set_page_config(page_title="GrowthSim", layout="wide")
    init_state()
    preparation()  # the fast engine's first compile starts as the app opens (sim.app.prepare)
    with st.sidebar:
        lang: Lang = st.radio(t("app.language", "en") + " / " + t("app.language", "ru"), LANGS,
                              format_func=LANGUAGE_NAMES.__getitem__, horizontal=True, key="lang")
        st.title(t("app.app_title", lang))
        # The page is kept under "page"; the radio is keyed per language (its labels are).
        key = f"page@{lang}"

        def choose_page() -> None:
            state()["page"] = state()[key]

        st.radio(t("app.app_title", lang), PAGES, index=PAGES.index(state()["page"]), key=key,
                 label_visibility="collapsed", format_func=lambda p: t(f"app.page_{p}", lang),
                 on_change=choose_page)
        st.divider()
        st.number_input(t("app.seed", lang), min_value=0, value=1, step=1, key="seed",
                        help=t("app.seed_help", lang))
        st.number_input(t("app.replications", lang), min_value=MIN_REPS, max_value=10000,
                        value=1000,
                        step=10, key="reps", help=t("app.replications_help", lang))
    st.html(_CSS.format(browse=t("app.browse", lang)))
    # The top of the page: what runs now. Below it, a slot per page: opening a page empties the
    # previous page's slot at once, so no greyed copy of it stays below a long run (one shared
    # slot kept the old page's elements: Streamlit keeps a container's children where the new
    # page has not written yet).
    state()["_top_slot"] = st.empty()
    page = state()["page"]
    slots = {p: st.empty() for p in PAGES}
    with slots[page].container():
        if page == "scenario":
            scenario.page(lang)
            return
        spec, problems, _ = current_scenario()
        if spec is None:
            st.warning(t("app.scenario_invalid", lang))
            show_problems(problems, lang)
            return
        {"dashboard": dashboard.page, "compare": compare.page,
         "stress": stress.page, "sensitivity": sensitivity.page, "track": track_page.page,
         "optimise": optimise.page}[page](spec, lang)

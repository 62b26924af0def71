"""Running a page's library call: cached by scenario content and settings, with progress at
the top of the page, a quick answer first, cancellable."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import streamlit as st

from models.spec.errors import error_text
from sim.app.prepare import Preparation
from sim.app.state import QUICK_REPS, state
from sim.experiments.runner.parallel import default_workers, process_pool
from sim.report.i18n import (
    Lang,
    duration,
    number,
    t,
)

# --- running: cached by scenario content and settings, with progress at the top, cancellable ----

def app_pool() -> ProcessPoolExecutor:
    return process_pool(default_workers())


Key = tuple[Any, ...]
# run(replications, seed, progress, executor) -> a result; the library call of a page.
Runner = Callable[[int, int, Callable[[int, int], None], Executor], Any]


class ResultStore:
    """Results by (what was run, scenario content hash, settings, replications, seed), shared by
    every session of this server, oldest dropped first. Not `st.cache_data`: its replay forbids
    the cached function to update a progress bar created outside it, and the bar is the point
    of a long run."""

    def __init__(self, size: int = 32) -> None:
        self._items: OrderedDict[Key, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Key) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: Key, result: Any) -> None:
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@st.cache_resource
def result_store() -> ResultStore:
    return ResultStore()


@st.cache_resource
def preparation() -> Preparation:
    """The fast engine's preparation, started once per server when the app first opens."""
    return Preparation()


class Pace:
    """Time left from the pace of the runs done since the first report: the first runs carry
    the workers' start (loading the engine), which would make the estimate absurd."""

    def __init__(self) -> None:
        self._first: tuple[float, int] | None = None

    def left(self, done: int, total: int, now: float) -> float | None:
        """Seconds left when `done` of `total` are done at `now`; None until a pace is known."""
        if self._first is None:
            self._first = (now, done)
            return None
        since, base = self._first
        if done <= base:
            return None
        return (now - since) / (done - base) * max(total - done, 0)


def wait_for_engine(bar: Any, lang: Lang, what: str, prep: Any = None,
                    poll: float = 0.5) -> None:
    """Wait, if need be, for the fast engine's preparation, saying so on the bar: on the first
    start after an install it takes minutes and the run would look hung. Each update of the bar
    is where a Stop (a rerun) interrupts the wait."""
    prep = prep or preparation()
    while not prep.ready():
        waited = duration(time.monotonic() - prep.started, lang)
        bar.progress(0.0, text=t("preparing_engine", lang, what=what, waited=waited))
        time.sleep(poll)


def top_slot() -> Any:
    """The slot at the top of the page for what runs now (progress, Stop, Refine)."""
    return state()["_top_slot"]


def stop() -> None:
    """Stop the run in progress: the question it answers is remembered as stopped, so that only
    that question stays on its quick answer; any other (another seed, number of replications,
    scenario or option) starts a new answer."""
    state()["stopped"] = state().get("running")


def stopped(full_key: Key) -> bool:
    """Whether the owner stopped the run of `full_key` (what, content, settings, replications,
    seed) and has not asked for it again."""
    return bool(full_key) and state().get("stopped") == full_key


def resume() -> None:
    """Undo a Stop: the stopped question runs again."""
    state()["stopped"] = None


def cached_run(key: Key, replications: int, seed: int, lang: Lang, run: Runner, what: str,
               note: str | None = None, stoppable: bool = False, engine: str = "fast") -> Any:
    """`run` with a progress bar at the top of the page, cached on `key` (content and
    settings), replications, seed. The bar says what runs, how far it is and about how long is
    left (from the pace so far); the fast engine's first start (`wait_for_engine`) is waited for
    and said.

    Our own pool, so that Stop (a rerun, which raises inside the progress callback) cancels the
    replications not yet started instead of waiting for them all; nothing is cached then."""
    full_key = (*key, replications, seed)
    cached = result_store().get(full_key)
    if cached is not None:
        return cached
    state()["running"] = full_key  # what a Stop stops
    with top_slot().container():
        if note:
            st.info(note)
        if stoppable:  # the app's only Stop (Streamlit's own is hidden, see main)
            # keyed by the run: a quick answer's Stop and its refinement's in one page run
            st.button(t("stop", lang), help=t("stop_help", lang), on_click=stop,
                      key=f"stop:{full_key}")
        bar = st.progress(0.0, text=t("progress_start", lang, what=what))
    if engine == "fast":
        wait_for_engine(bar, lang, what)
        bar.progress(0.0, text=t("progress_start", lang, what=what))
    pace = Pace()

    def progress(done: int, total: int) -> None:
        if done <= 0:
            return
        left = pace.left(done, total, time.monotonic())
        counts = {"what": what, "done": number(done, lang), "total": number(total, lang)}
        bar.progress(min(done / total, 1.0), text=(
            t("progress_counts", lang, **counts) if left is None
            else t("progress", lang, **counts, left=duration(left, lang))))

    pool = app_pool()
    try:
        result = run(replications, seed, progress, pool)
    except ValueError as err:  # e.g. bets that push a drawn value out of its range
        top_slot().empty()
        st.error(error_text(err, lang))
        st.stop()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    top_slot().empty()
    result_store().put(full_key, result)
    state()["running"] = None
    return result


# What a page's `render(result, tag)` shows: the quick answer while it is refined (no downloads:
# it is about to be replaced), the quick answer the owner stopped at, or the full answer. The
# last two are the page's answer and offer its downloads (`final`).
QUICK, STOPPED, FULL = "quick", "stopped", "full"


def final(tag: str) -> bool:
    """Whether a rendered answer is the one the page ends with (its downloads are offered)."""
    return tag != QUICK


def progressive(key: Key, lang: Lang, run: Runner, render: Callable[[Any, str], None],
                what: str, engine: str = "fast") -> None:
    """Show a quick answer from few replications (`QUICK_REPS` of the engine), then refine it to
    the chosen number in place. `key` should hold the engine (its results differ).

    Stop (at the top while refining) interrupts the run: Streamlit reruns the script, the
    progress callback raises, the pool's queued replications are cancelled and nothing is
    cached; the quick answer stays on screen, with a button to refine it again."""
    state()["seen_results"] = True
    seed, reps = int(state()["seed"]), int(state()["reps"])
    holder = st.empty()
    quick = min(QUICK_REPS[engine], reps)
    if result_store().get((*key, reps, seed)) is None and quick < reps:
        if stopped_before_answer((*key, quick, seed), lang):
            return
        result = cached_run(key, quick, seed, lang, run, what, stoppable=True, engine=engine)
        halted = stopped((*key, reps, seed))
        with holder.container():  # stopped: the quick answer is the answer, with its downloads
            render(result, STOPPED if halted else QUICK)
        if halted:
            top_slot().button(t("refine", lang, total=reps), on_click=resume)
            return
        result = cached_run(key, reps, seed, lang, run, what, stoppable=True, engine=engine,
                            note=t("quick_answer", lang, n=quick, total=reps))
    else:
        if stopped_before_answer((*key, reps, seed), lang):
            return
        result = cached_run(key, reps, seed, lang, run, what, stoppable=True, engine=engine)
    with holder.container():
        render(result, FULL)


def stopped_before_answer(full_key: Key, lang: Lang) -> bool:
    """When the owner stopped the run of `full_key` before it gave any answer: say so, with a
    button to start it again (true: nothing more to show)."""
    if not stopped(full_key) or result_store().get(full_key) is not None:
        return False
    with top_slot().container():
        st.info(t("stopped_no_answer", lang))
        st.button(t("start_again", lang), on_click=resume)
    return True


def set_settings(name: str, keys: tuple[str, ...]) -> None:
    """Remember what the user asked to run (a button press); a new request undoes a Stop."""
    state()[name] = tuple(jsonable(state()[k]) for k in keys)
    resume()


def requested(name: str, keys: tuple[str, ...], label: str, lang: Lang) -> tuple[Any, ...] | None:
    """A run button for the settings kept under `keys`: the settings last asked for (None:
    never asked), with a note when they have changed since."""
    st.button(label, type="primary", on_click=set_settings, args=(name, keys))
    settings: tuple[Any, ...] | None = state().get(name)
    if settings is not None and settings != tuple(jsonable(state()[k]) for k in keys):
        st.caption(t("compare_settings_changed", lang))
    return settings


def jsonable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


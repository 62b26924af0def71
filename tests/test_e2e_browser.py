"""End to end in a real browser: `streamlit run app.py` on 127.0.0.1, driven by playwright with
Debian's chromium (the README's test command installs it).

Screenshots go to tests/screenshots/ (git-ignored); with GROWTHSIM_SCREENSHOTS=docs they are
written to docs/ for the documentation instead, one per page and language.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
# The ceiling of a single wait for an element; a run is waited for by `_settle`, which follows
# the page's own progress (a busy machine is slow, not stuck).
TIMEOUT_MS = 900_000
# a run whose progress has not moved for this long has failed
STALL_S = int(os.environ.get("GROWTHSIM_STALL_S", "300"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    # Run from an empty folder: the app must need nothing from the working directory.
    cwd = tmp_path_factory.mktemp("streamlit")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--browser.gatherUsageStats", "false",
         # an edit of the sources during the run must not put a 'source changed' prompt in
         # the status widget (the test reads it as a run that never ends)
         "--server.fileWatcherType", "none"],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout and proc.poll() is not None else ""
                pytest.fail(f"streamlit did not start on {url}: {out[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = ROOT / os.environ.get("GROWTHSIM_SCREENSHOTS", "tests/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_app_in_a_browser(server: str, shots: Path) -> None:
    """Both languages on every page, the language switched mid-edit (the
    edit must survive and the scenario stay valid), a screenshot of each page in each."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (the README's test "
                    "command does it)")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # 1280 pixels wide: the owner's laptop (the compare table's decision
            # columns must show without scrolling at that width).
            page = browser.new_page(viewport={"width": 1280, "height": 3000},
                                    accept_downloads=True)
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page.goto(server)
            main = page.get_by_test_id("stMain")
            sidebar = page.get_by_test_id("stSidebar")
            expect(main.get_by_text("IT services for companies (rubles): 36 months")
                   ).to_be_visible()
            expect(page.get_by_text("Start here.")).to_be_visible()
            _settle(page)
            page.screenshot(path=str(shots / "scenario.png"), full_page=True)
            _no_sideways_scroll(page, "scenario.png")

            # Edit in English, switch to Russian, edit again: both edits kept, no error.
            _type(main.get_by_role("spinbutton", name="Horizon, months"), "30")
            expect(main.get_by_text("IT services for companies (rubles): 30 months")
                   ).to_be_visible()
            sidebar.get_by_text("Русский").click()
            _settle(page)
            expect(page.get_by_text("ИТ-услуги для компаний (рубли): 30 мес.")).to_be_visible()
            _type(main.get_by_role("textbox", name="Целевое значение"), "25 000 000")
            _settle(page)
            expect(page.get_by_text("ИТ-услуги для компаний (рубли): 30 мес.")).to_be_visible()
            expect(main.get_by_text("должно быть одним из")).to_have_count(0)
            expect(main.get_by_role("textbox", name="Целевое значение")).to_have_value(
                re.compile(r"25\s000\s000"))
            page.screenshot(path=str(shots / "scenario-ru.png"), full_page=True)
            _no_sideways_scroll(page, "scenario-ru.png")

            reps = sidebar.get_by_role("spinbutton", name="Число прогонов")
            _type(reps, "10")
            sidebar.get_by_text("Панель собственника").click()
            _settle(page)
            expect(main.get_by_text("прогонов: 10 · серия 1")).to_be_visible()
            expect(main.get_by_text("Итоги за 30 мес.")).to_be_visible()
            expect(page.get_by_text("Где теряются деньги", exact=True)).to_have_count(1)
            _settle(page)
            page.screenshot(path=str(shots / "dashboard-ru.png"), full_page=True)
            _no_sideways_scroll(page, "dashboard-ru.png")
            sidebar.get_by_text("English").click()
            _settle(page)
            expect(main.get_by_text("10 replications · seed 1")).to_be_visible()
            expect(page.get_by_text("Called too late").first).to_be_attached()
            _settle(page)
            page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
            _no_sideways_scroll(page, "dashboard.png")

            # Compare every option of the example, in English, then the same in Russian.
            sidebar.get_by_text("Compare options").click()
            _settle(page)
            page.get_by_role("button", name="Compare", exact=True).click()
            _settle(page)
            expect(page.get_by_text("Options ranked by NPV")).to_be_visible()
            expect(main.get_by_test_id("stDataFrame").first).to_be_visible()
            expect(main.get_by_text("10 replications · seed 1")).to_be_visible()
            expect(main.get_by_text("Recommended:").first).to_be_visible()
            _settle(page)
            # The ranked table fits: its grid does not scroll sideways.
            grid = main.get_by_test_id("stDataFrame").first
            overflow = grid.evaluate(
                "e => { const s = e.querySelector('.dvn-scroller');"
                " return s ? s.scrollWidth - s.clientWidth : -1; }")
            assert 0 <= overflow <= 2, overflow
            page.screenshot(path=str(shots / "compare.png"), full_page=True)
            _no_sideways_scroll(page, "compare.png")
            # The page as one HTML file, for an investor without the app.
            with page.expect_download() as download:
                main.get_by_role("button", name="Report (HTML)").click()
            report = Path(download.value.path()).read_text(encoding="utf-8")
            assert "Recommended:" in report and "plotly-graph-div" in report
            # ... which reads on the same screen without scrolling sideways
            opened = browser.new_page(viewport={"width": 1280, "height": 800})
            opened.set_content(report)
            opened.wait_for_timeout(1500)
            wide = opened.evaluate("() => document.documentElement.scrollWidth")
            opened.close()
            assert wide <= 1280, f"the compare report is {wide} pixels wide"
            sidebar.get_by_text("Русский").click()
            _settle(page)
            expect(page.get_by_text("Варианты по убыванию NPV")).to_be_visible()
            _settle(page)
            page.screenshot(path=str(shots / "compare-ru.png"), full_page=True)
            _no_sideways_scroll(page, "compare-ru.png")

            sidebar.get_by_text("Стресс-тест").click()
            _settle(page)
            page.get_by_role("button", name="Запустить стресс-тест").click()
            _settle(page)
            expect(page.get_by_text("Вероятность цели и результат при каждом шоке")).to_be_visible()
            _settle(page)
            page.screenshot(path=str(shots / "stress-ru.png"), full_page=True)
            _no_sideways_scroll(page, "stress-ru.png")
            sidebar.get_by_text("English").click()
            _settle(page)
            expect(page.get_by_text("Chance of the goal and outcome per shock")).to_be_visible()
            _settle(page)
            page.screenshot(path=str(shots / "stress.png"), full_page=True)
            _no_sideways_scroll(page, "stress.png")

            # Back on the scenario page both edits are still there, in either language.
            sidebar.get_by_text("Scenario", exact=True).click()
            _settle(page)
            expect(main.get_by_role("spinbutton", name="Horizon, months")).to_have_value("30")
            expect(main.get_by_role("textbox", name="Target")).to_have_value("25,000,000")
        finally:
            browser.close()


# The investor's pages: (sidebar label, what to press first in English, the button that runs,
# the page's heading in Russian, the screenshot's name). Their answers are shown in both
# languages from one run (the language switch reruns nothing).
INVESTOR_PAGES = (
    ("For investors", "Tornado", "Build the tornado", "Для инвестора", "sensitivity"),
    ("Plan vs actual", "Use the example actuals of the B2B services plan",
     "Compare with the plan", "План и факт", "track-page"),
    ("Where to put the money", None, "Find the allocation", "Куда вложить деньги", "optimise"),
    ("For investors", "Shocks", "Run the shocks", "Для инвестора", "shocks"),
)


def test_investor_pages_in_a_browser(server: str, shots: Path) -> None:
    """The tornado, plan vs actual and the optimiser run in the browser and show their charts in
    both languages, with no error on the page; a screenshot of each in each language."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 3000})
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page.goto(server)
            main = page.get_by_test_id("stMain")
            sidebar = page.get_by_test_id("stSidebar")
            expect(page.get_by_text("Start here.")).to_be_visible()
            _type(sidebar.get_by_role("spinbutton", name="Replications"), "10")
            for label, first, run, heading_ru, name in INVESTOR_PAGES:
                sidebar.get_by_text(label, exact=True).click()
                _settle(page)
                if first is not None:
                    main.get_by_text(first, exact=True).click()
                    _settle(page)
                main.get_by_role("button", name=run).click()
                _settle(page)
                expect(main.locator(".js-plotly-plot").first).to_be_visible()
                _settle(page)
                expect(main.get_by_test_id("stException")).to_have_count(0)
                expect(main.get_by_test_id("stAlertContentError")).to_have_count(0)
                page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                _no_sideways_scroll(page, f"{name}.png")
                sidebar.get_by_text("Русский").click()
                _settle(page)
                expect(main.get_by_text(heading_ru, exact=True).first).to_be_visible()
                expect(main.locator(".js-plotly-plot").first).to_be_visible()
                _settle(page)
                expect(main.get_by_test_id("stException")).to_have_count(0)
                page.screenshot(path=str(shots / f"{name}-ru.png"), full_page=True)
                _no_sideways_scroll(page, f"{name}-ru.png")
                sidebar.get_by_text("English").click()
                _settle(page)
                _settle(page)
        finally:
            browser.close()


def _type(box: object, text: str) -> None:
    from playwright.sync_api import Locator

    assert isinstance(box, Locator)
    box.fill(text)
    box.press("Enter")
    _settle(box.page)


# Whether a script runs, and what shows its progress: the progress bars' texts and values
# (what the page says it is doing) and how much the page shows.
_BUSY = """() => [!!document.querySelector("[data-testid='stStatusWidgetRunningIcon']"),
  Array.from(document.querySelectorAll("[data-testid='stProgress']"))
       .map(e => e.textContent + ' ' + Array.from(e.querySelectorAll('[aria-valuenow]'))
            .map(b => b.getAttribute('aria-valuenow')).join(',')).join(' | '),
  (document.querySelector("[data-testid='stMain']") || document.body).textContent.length]"""


def _settle(page: object) -> None:
    """Wait until the app has finished (no script running, no progress bar), following the
    page's own progress: the wait fails only when the progress has not moved for `STALL_S`
    seconds, not after a fixed time (a busy two-core machine is slow, not stuck). Then let the
    charts finish drawing (plotly renders after the data arrives)."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.wait_for_timeout(500)
    last, since, quiet = None, time.monotonic(), 0
    while quiet < 3:  # idle three times in a row: not between two steps of a run
        busy, progress, shown = page.evaluate(_BUSY)
        quiet = 0 if busy or progress else quiet + 1
        if (progress, shown) != last:
            last, since = (progress, shown), time.monotonic()
        if time.monotonic() - since > STALL_S:
            status = page.evaluate("() => Array.from(document.querySelectorAll("
                                   "\"[data-testid='stStatusWidget']\")).map(e => e.className)")
            pytest.fail(f"no progress for {STALL_S} s: {progress!r}, status {status}")
        page.wait_for_timeout(500)
    page.wait_for_timeout(1000)


_SIDEWAYS = """() => {
  const out = [];
  document.querySelectorAll("[data-testid='stDataFrame']").forEach(e => {
    const s = e.querySelector('.dvn-scroller');
    if (s && s.scrollWidth - s.clientWidth > 2)
      out.push(['table', s.scrollWidth - s.clientWidth, e.innerText.slice(0, 60)]);
  });
  for (const e of [document.documentElement, document.querySelector("[data-testid='stMain']")])
    if (e && e.scrollWidth - e.clientWidth > 2)
      out.push(['page', e.scrollWidth - e.clientWidth, '']);
  return out; }"""


def _no_sideways_scroll(page: object, where: str) -> None:
    """No table and not the page scrolls sideways (the column a caption tells the owner to
    read must be on screen)."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    wide = page.evaluate(_SIDEWAYS)
    assert not wide, f"{where}: scrolls sideways (pixels too wide, what): {wide}"

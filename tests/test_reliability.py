"""Bad input and faults on the newer commands (batch, results, sensitivity, stress, optimise,
track, the Dask cluster) and a few older ones: refused with exit 2 (1 for a lost cluster), a
message naming the option or file and the fix, never a traceback, before any work; damaged
stores said or repaired, a rerun's store equal to an uninterrupted run's.

Each class of defect is a parametrised table of (command, arguments, expected words), as
`tests/test_bad_input.py` does for scenarios."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli.main import app
from tests.test_batch import SWEEP, store_bytes, write_sweep
from tests.test_cli import TINY

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@dataclass(frozen=True)
class Case:
    id: str
    args: list[str]  # {scenario}, {sweep}, {out}, {file}, {readonly}, {leads} are filled in
    expect: tuple[str, ...]  # fragments of the message (the option or file, and the fix)
    code: int = 2


def _check(result: Any, case: Case) -> None:
    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == case.code, output
    flat = " ".join(output.split())
    for fragment in case.expect:
        assert " ".join(fragment.split()) in flat, f"{fragment!r} not in:\n{output}"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    scenario = copy.deepcopy(TINY)
    scenario["bets"] = [{"name": "more_ads", "start_month": 1, "changes": [
        {"path": "channels.ads.budget_monthly", "scale": 2.0}]}]
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    sweep = write_sweep(tmp_path)
    (tmp_path / "a_file").write_text("not a folder", encoding="utf-8")
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    leads = tmp_path / "leads.csv"
    leads.write_text("created,channel,outcome,first_response_hours,touches\n"
                     "2025-01-03,ads,won,2,1\n2025-02-03,ads,lost_unprocessed,,0\n"
                     "2025-03-05,ads,won,1,0\n", encoding="utf-8")
    return {"scenario": str(tmp_path / "plan.yaml"), "sweep": str(sweep),
            "out": str(tmp_path / "out"), "file": str(tmp_path / "a_file"),
            "readonly": str(readonly / "out"), "leads": str(leads), "tmp": str(tmp_path)}


def _args(case: Case, files: dict[str, str]) -> list[str]:
    return [a.format(**files) for a in case.args]


# -- 1. an --out that cannot be written: refused before any work -----------------------------

# every command that writes, with arguments that would otherwise run (a few replications)
WRITERS = {
    "run": ["run", "{scenario}", "--reps", "2", "--workers", "1"],
    "compare": ["compare", "{scenario}", "--reps", "2", "--workers", "1"],
    "seek": ["seek", "{scenario}", "--bet", "more_ads", "--high", "3", "--reps", "2"],
    "sensitivity": ["sensitivity", "{scenario}", "--n", "2", "--reps", "1", "--tornado-reps",
                    "0", "--workers", "1"],
    "stress": ["stress", "{scenario}", "--preset", "recession", "--reps", "2", "--workers",
               "1"],
    "optimise": ["optimise", "{scenario}", "--trials", "1", "--reps", "2", "--workers", "1"],
    "batch": ["batch", "{sweep}", "--workers", "1"],
    "calibrate funnel": ["calibrate", "funnel", "{leads}"],
}
UNWRITABLE = {"a file": "{file}", "below a file": "{file}/out", "/proc": "/proc/growthsim-x"}
if os.geteuid() != 0:  # root writes into read-only folders
    UNWRITABLE["read-only"] = "{readonly}"


@pytest.mark.parametrize("where", list(UNWRITABLE))
@pytest.mark.parametrize("command", list(WRITERS))
def test_an_unwritable_out_is_refused_before_any_work(command: str, where: str,
                                                      files: dict[str, str]) -> None:
    case = Case(f"{command}-{where}", [*WRITERS[command], "--out", UNWRITABLE[where]],
                ("cannot write results to", "--out"))
    start = time.perf_counter()
    _check(runner.invoke(app, _args(case, files)), case)
    assert time.perf_counter() - start < 20, "refused after simulating"


# -- 5. numbers that are not numbers ------------------------------------------------------------

NUMBERS = [
    Case("optimise --budget nan", ["optimise", "{scenario}", "--budget", "nan"],
         ("--budget nan", "finite number")),
    Case("optimise --budget inf", ["optimise", "{scenario}", "--budget", "inf"],
         ("--budget inf", "finite number")),
    Case("optimise --budget-total -inf", ["optimise", "{scenario}", "--budget-total", "-inf"],
         ("--budget-total -inf", "finite number")),
    Case("optimise --cash-floor nan", ["optimise", "{scenario}", "--cash-floor", "nan"],
         ("--cash-floor nan", "finite number")),
    Case("optimise --vary 0:inf", ["optimise", "{scenario}", "--vary", "sales.managers=0:inf"],
         ("--vary", "sales.managers=0:inf", "inf is not a number")),
    Case("optimise --bet =nan:3", ["optimise", "{scenario}", "--bet", "more_ads=nan:3"],
         ("--bet", "nan is not a number")),
    Case("stress --shock scale:nan", ["stress", "{scenario}", "--shock",
                                      "tiers.*.monthly_churn:scale:nan"],
         ("--shock", "tiers.*.monthly_churn:scale:nan", "nan is not a number")),
    Case("stress --severity inf", ["stress", "{scenario}", "--severity", "inf"],
         ("--severity inf", "finite number")),
    Case("sensitivity --range 0:inf", ["sensitivity", "{scenario}", "--range",
                                       "sales.managers=1:inf"],
         ("--range", "inf is not a number")),
    Case("seek --high nan", ["seek", "{scenario}", "--bet", "more_ads", "--high", "nan"],
         ("--high nan", "finite number")),
    Case("seek --low inf", ["seek", "{scenario}", "--bet", "more_ads", "--high", "3", "--low",
                            "inf"], ("--low inf", "finite number")),
    Case("run --precision inf", ["run", "{scenario}", "--precision", "inf"],
         ("--precision inf", "finite number")),
    Case("compare --budget inf", ["compare", "{scenario}", "--budget", "inf"],
         ("--budget inf", "finite number")),
    Case("calibrate funnel --settled-days inf", ["calibrate", "funnel", "{leads}",
                                                 "--settled-days", "inf"],
         ("--settled-days inf", "finite number")),
]


@pytest.mark.parametrize("case", NUMBERS, ids=lambda c: c.id)
def test_numbers_that_are_not_numbers_are_refused(case: Case, files: dict[str, str]) -> None:
    _check(runner.invoke(app, [*_args(case, files), "--out", files["out"]]), case)
    assert not Path(files["out"]).exists() or case.args[0] == "calibrate"


# -- 6, 9, 11: files and text ---------------------------------------------------------------


def _sweep_variant(files: dict[str, str], data: bytes) -> str:
    path = Path(files["tmp"]) / "odd.yaml"
    path.write_bytes(data)
    return str(path)


def test_a_sweep_not_in_utf8_is_refused(files: dict[str, str]) -> None:
    text = yaml.safe_dump({**SWEEP, "name": "Продажи"}, allow_unicode=True)
    for data in (text.encode("cp1251"), b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 20):
        path = _sweep_variant(files, data)
        case = Case("sweep", [], (path, "not UTF-8", "save it as UTF-8"))
        _check(runner.invoke(app, ["batch", path, "--out", files["out"]]), case)
        assert not Path(files["out"]).exists()


def test_escape_sequences_reach_the_terminal_shown_not_raw(files: dict[str, str]) -> None:
    evil = "\x1b]0;owned\x07\x1b[31mred\x1b[0m"
    scenario = copy.deepcopy(TINY)
    scenario["bets"] = [{"name": "bet", "start_month": 1, "changes": [
        {"path": "channels.ads.budget_monthly", "scale": 2.0}]}]
    folder = Path(files["tmp"])
    (folder / "tiny.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    sweep = {**SWEEP, "name": f"sweep {evil}", "replications": 2, "chunk": 2,
             "scenarios": [{"path": "tiny.yaml", "bets": ["bet"]}],
             "grid": {"sales.managers": [1, 2], "description": [f"x{evil}"]}}
    (folder / "evil.yaml").write_text(yaml.safe_dump(sweep), encoding="utf-8")
    out = folder / "evil-out"
    ran = runner.invoke(app, ["batch", str(folder / "evil.yaml"), "--out", str(out),
                              "--workers", "1"])
    shown = runner.invoke(app, ["results", str(out)])
    for result in (ran, shown):
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
        assert "\\x1b" in result.output  # shown as a code, not dropped


def test_validate_shortens_a_huge_name(tmp_path: Path) -> None:
    scenario = {**copy.deepcopy(TINY), "name": "N" * 3_000_000}
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output[:500]
    flat = " ".join(result.output.split())
    assert len(result.output) < 2000 and "characters long; at most 200 are shown" in flat


@pytest.mark.parametrize("column", ["created", "payment_date"])
def test_calibrate_funnel_refuses_dates_in_the_future(column: str, tmp_path: Path) -> None:
    rows = {"created": "2025-01-03", "invoice_date": "2025-01-04", "payment_date": "2025-01-05"}
    rows[column] = "2097-01-05"
    path = tmp_path / "leads.csv"
    path.write_text("created,channel,outcome,invoice_date,payment_date\n"
                    f"{rows['created']},ads,won,{rows['invoice_date']},{rows['payment_date']}\n"
                    "2025-01-04,ads,lost_unprocessed,,\n", encoding="utf-8")
    case = Case("future", [], ("after today", "row 2", "fix the year", "--skip-bad-rows"))
    _check(runner.invoke(app, ["calibrate", "funnel", str(path), "--out",
                               str(tmp_path / "out")]), case)


# -- 7. plan vs actual on empty or misplaced evidence ---------------------------------------------

TRACK = [
    Case("every figure empty", ["{tmp}/empty.csv"], ("every figure is empty", "fill in")),
    Case("--start years before the leads", ["{leads}", "--start", "2015-01-01"],
         ("--start 2015-01-01", "months before the export's first record (2025-01-03)",
          "--start 2025-01-01")),
    Case("--start years before the purchases", ["{tmp}/purchases.csv", "--start", "2015-01-01"],
         ("--start 2015-01-01", "first record (2025-01-10)")),
]


@pytest.mark.parametrize("case", TRACK, ids=lambda c: c.id)
def test_track_refuses_empty_or_misplaced_evidence(case: Case, files: dict[str, str]) -> None:
    folder = Path(files["tmp"])
    (folder / "empty.csv").write_text("month,leads,new_clients\n1,,\n2,,\n3,,\n",
                                      encoding="utf-8")
    (folder / "purchases.csv").write_text("customer_id,date,amount\na,2025-01-10,100\n"
                                          "b,2025-03-20,50\n", encoding="utf-8")
    _check(runner.invoke(app, ["track", files["scenario"], *_args(case, files), "--out",
                               files["out"], "--reps", "2"]), case)
    assert not Path(files["out"]).exists()


# -- 8. work without bounds ----------------------------------------------------------------------

def test_sensitivity_beyond_a_day_is_refused_with_its_estimate(files: dict[str, str]) -> None:
    case = Case("huge", [], ("runs, about", "more than the limit of a day", "--no-time-limit",
                             "smaller --n"))
    start = time.perf_counter()
    _check(runner.invoke(app, ["sensitivity", files["scenario"], "--n", "1048576", "--reps",
                               "200", "--workers", "1", "--engine",
                               "agent", "--out", files["out"]]), case)
    assert time.perf_counter() - start < 60


# -- 2, 3, 10: the results store -------------------------------------------------------------

@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("reliability")
    sweep = write_sweep(folder)
    result = runner.invoke(app, ["batch", str(sweep), "--out", str(folder / "ref"),
                                 "--workers", "1"])
    assert result.exit_code == 0, result.output
    return sweep, folder / "ref"


def _first(folder: Path) -> Path:
    return sorted(folder.iterdir())[0]


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


DAMAGE = {
    "truncated partition": (lambda s: _truncate(_first(s / "parts")), "parts/", True),
    "empty partition": (lambda s: _first(s / "parts").write_bytes(b""), "empty", True),
    "truncated monthly file": (lambda s: _truncate(_first(s / "monthly")), "monthly/", True),
    "variants.parquet missing": (lambda s: (s / "variants.parquet").unlink(),
                                 "variants.parquet", True),
    "manifest cut short": (lambda s: _truncate(s / "manifest.json"), "manifest.json", True),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_store_is_said_and_a_rerun_repairs_it(damage: str, reference: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    sweep, ref = reference
    store = tmp_path / "store"
    shutil.copytree(ref, store)
    harm, where, _ = DAMAGE[damage]
    harm(store)
    case = Case(damage, [], (where, "damaged", "run the same growthsim batch again"))
    _check(runner.invoke(app, ["results", str(store)]), case)
    rerun = runner.invoke(app, ["batch", str(sweep), "--out", str(store), "--workers", "1"])
    assert rerun.exit_code == 0, rerun.output
    assert store_bytes(store) == store_bytes(ref)
    assert runner.invoke(app, ["results", str(store)]).exit_code == 0


def test_a_manifest_of_another_sweep_is_refused(reference: tuple[Path, Path],
                                                tmp_path: Path) -> None:
    _, ref = reference
    other = write_sweep(tmp_path, {**SWEEP, "name": "other", "seed": 9})
    result = runner.invoke(app, ["batch", str(other), "--out", str(tmp_path / "other"),
                                 "--workers", "1"])
    assert result.exit_code == 0, result.output
    store = tmp_path / "store"
    shutil.copytree(ref, store)
    shutil.copy(tmp_path / "other" / "manifest.json", store / "manifest.json")
    case = Case("foreign", [], ("belong to no task of its manifest.json", "delete the folder"))
    _check(runner.invoke(app, ["results", str(store)]), case)


def test_results_of_a_store_without_finished_tasks_exits_2(reference: tuple[Path, Path],
                                                           tmp_path: Path) -> None:
    _, ref = reference
    store = tmp_path / "store"
    shutil.copytree(ref, store)
    shutil.rmtree(store / "parts")
    case = Case("empty", [], ("no finished task", "growthsim batch"))
    _check(runner.invoke(app, ["results", str(store)]), case)


@pytest.mark.parametrize("name", ["run[1]", "a*", "b?"])
def test_a_folder_name_is_not_a_pattern(name: str, reference: tuple[Path, Path],
                                        tmp_path: Path) -> None:
    """Beside a store whose name the pattern would match (ab, run1, bb), the store named as a
    pattern holds and summarises its own rows only, the same bytes as a plain name."""
    sweep, ref = reference
    shutil.copytree(ref, tmp_path / {"run[1]": "run1", "a*": "ab", "b?": "bb"}[name])
    other = write_sweep(tmp_path, {**SWEEP, "name": "other", "seed": 9})
    runner.invoke(app, ["batch", str(other), "--out", str(tmp_path / "run1"), "--workers", "1"])
    store = tmp_path / name
    result = runner.invoke(app, ["batch", str(sweep), "--out", str(store), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert store_bytes(store) == store_bytes(ref)


def test_two_batches_on_one_folder_the_second_is_refused(reference: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    from sim.experiments.batch import store

    sweep, _ = reference
    out = tmp_path / "out"
    out.mkdir()
    with store.locked(out):  # another batch writing it
        case = Case("locked", [], ("in use by another growthsim batch", f"process {os.getpid()}",
                                   "another --out"))
        _check(runner.invoke(app, ["batch", str(sweep), "--out", str(out), "--workers", "1"]),
               case)
    assert not (out / "parts").exists()
    result = runner.invoke(app, ["batch", str(sweep), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output  # the lock is released with its holder


# -- 4. the Dask cluster -----------------------------------------------------------------------

@contextlib.contextmanager
def _server(answer: bytes | None) -> Iterator[str]:
    """A local TCP server on 127.0.0.1 that accepts and then sends `answer` (None: never
    answers); its address."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            if answer is not None:
                with contextlib.suppress(OSError):
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


HTTP = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" + b"\xff" * 64


@pytest.mark.parametrize(("answer", "words"), [
    (None, "no Dask scheduler answered within 1 s"),
    (HTTP, "is not a Dask scheduler"),
])
def test_a_port_that_is_no_scheduler_is_said_within_seconds(answer: bytes | None,
                                                            words: str) -> None:
    pytest.importorskip("distributed")
    from sim.experiments.runner.executors import ExecutorError, open_executor

    with _server(answer) as address:
        start = time.perf_counter()
        with pytest.raises(ExecutorError, match=words), open_executor(scheduler=address,
                                                                      timeout=1.0):
            pass
        assert time.perf_counter() - start < 5


@pytest.mark.parametrize(("address", "words"), [
    ("tcp://127.0.0.1:70000", "port 70000 is out of range"),
    ("127.0.0.1", "not an address with a port"),
    ("udp://127.0.0.1:8786", "protocol is not supported"),
    ("tcp://127.0.0.1:1", "cannot reach the Dask scheduler"),
])
def test_a_bad_scheduler_address_is_bad_input(address: str, words: str,
                                              files: dict[str, str]) -> None:
    pytest.importorskip("distributed")
    case = Case(address, [], (f"--scheduler {address}", words, "tcp://"))
    start = time.perf_counter()
    _check(runner.invoke(app, ["batch", files["sweep"], "--out", files["out"], "--scheduler",
                               address]), case)
    assert time.perf_counter() - start < 5


def test_an_answer_that_is_not_dask_through_the_command_line(files: dict[str, str]) -> None:
    pytest.importorskip("distributed")
    with _server(HTTP) as address:
        case = Case("http", [], (f"--scheduler {address}", "not a Dask scheduler", "8786"))
        _check(runner.invoke(app, ["run", files["scenario"], "--reps", "2", "--scheduler",
                                   address, "--out", files["out"]]), case)


class _Lost(Executor):
    """An executor whose cluster goes away after `after` tasks: the tasks then in flight never
    finish (or raise, as a Dask client that gave up), as with a killed scheduler."""

    def __init__(self, after: int, raise_: bool) -> None:
        self.after, self.raise_, self.count, self.gone = after, raise_, 0, False

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.count += 1
        if self.count > self.after:
            self.gone = True
            if self.raise_:
                future.set_exception(OSError("Timed out trying to connect to the scheduler"))
            return future  # else never resolved
        future.set_result(fn(*args, **kwargs))
        return future

    def alive(self) -> str | None:
        return "the scheduler stopped answering; client closed" if self.gone else None


@pytest.mark.parametrize("raise_", [False, True], ids=["futures hang", "futures raise"])
def test_a_lost_cluster_is_no_failed_task_and_a_rerun_completes(raise_: bool,
                                                                reference: tuple[Path, Path],
                                                                tmp_path: Path) -> None:
    from sim.experiments.batch import ClusterLost, run_batch
    from sim.experiments.batch.sweep import plan_sweep

    sweep, ref = reference
    plan = plan_sweep(sweep)
    out = tmp_path / "out"
    lost = _Lost(after=5, raise_=raise_)
    start = time.perf_counter()
    with pytest.raises(ClusterLost, match="closed"):
        run_batch(plan, out, "fast", lost, 2, alive=lost.alive)
    assert time.perf_counter() - start < 30
    assert not (out / "failures").exists() or not list((out / "failures").iterdir())
    assert 0 < len(list((out / "parts").iterdir())) < len(json.loads(
        (ref / "manifest.json").read_text())["tasks"])
    result = runner.invoke(app, ["batch", str(sweep), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert store_bytes(out) == store_bytes(ref)


def test_every_new_message_is_in_both_languages() -> None:
    from models.spec.messages import MESSAGES

    keys = [k for k in MESSAGES if k.startswith(("option_", "work_", "store_",
                                                 "scheduler_", "cluster_", "actuals_empty",
                                                 "start_before"))]
    assert len(keys) >= 18
    for key in keys:
        en, ru = MESSAGES[key]
        assert any("а" <= ch <= "я" for ch in ru.lower()), key
        assert sorted(set(_fields(en))) == sorted(set(_fields(ru))), key


def _fields(text: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(text) if f]


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("GROWTHSIM_SLOW"),
                    reason="starts a Dask scheduler and kills it: set GROWTHSIM_SLOW=1 to run it")
def test_a_killed_scheduler_exits_1_and_a_plain_rerun_completes_the_store(tmp_path: Path
                                                                         ) -> None:
    """A real `dask scheduler` SIGKILLed mid-batch: the driver exits 1 within seconds, records
    no failure, and the same command with local workers completes a store equal to a serial
    run's."""
    import signal
    import subprocess
    import sys

    dask = Path(sys.executable).with_name("dask")
    sweep = write_sweep(tmp_path, {**SWEEP, "replications": 40, "chunk": 2})
    serial = runner.invoke(app, ["batch", str(sweep), "--out", str(tmp_path / "serial"),
                                 "--workers", "1", "--engine", "agent"])
    assert serial.exit_code == 0, serial.output
    info = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(info)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        procs.append(subprocess.Popen(
            [str(dask), "worker", address, "--nworkers", "1", "--nthreads", "1",
             "--no-dashboard", "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        out = tmp_path / "out"
        driver = subprocess.Popen(
            [sys.executable, "-m", "sim.cli.main", "batch", str(sweep), "--out", str(out),
             "--engine", "agent", "--scheduler", address],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list((out / "parts").glob("*"))) < 4:
            time.sleep(0.05)
        os.killpg(procs[0].pid, signal.SIGKILL)
        killed = time.monotonic()
        output, _ = driver.communicate(timeout=60)
        assert time.monotonic() - killed < 30
        assert driver.returncode == 1, output
        assert "Dask cluster was lost" in output and "Traceback" not in output, output
    finally:
        for proc in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert not (out / "failures").exists() or not list((out / "failures").iterdir())
    rerun = runner.invoke(app, ["batch", str(sweep), "--out", str(out), "--workers", "1",
                                "--engine", "agent"])
    assert rerun.exit_code == 0, rerun.output
    assert store_bytes(out) == store_bytes(tmp_path / "serial")

"""Faults around a run: a SIGKILL in the write window, a full disk, an unwritable
--out, Ctrl-C, a killed parent of pool workers. Results are all old or all new, never mixed;
errors are messages with exit 2, never tracebacks after the whole simulation ran."""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from models.load import load_scenario
from sim.cli.main import app
from sim.experiments.montecarlo import MonteCarloResult, run_monte_carlo
from sim.report.output import write_results
from tests.test_bad_input import BASE

ROOT = Path(__file__).resolve().parents[1]
LINUX = sys.platform.startswith("linux")
runner = CliRunner()


@pytest.fixture(scope="module")
def results() -> dict[int, MonteCarloResult]:
    spec = load_scenario(copy.deepcopy(BASE))
    return {seed: run_monte_carlo(spec, replications=2, seed=seed, workers=1) for seed in (1, 2)}


def _state(out: Path, results: dict[int, MonteCarloResult]) -> int | None:
    """Which run's files `out` holds: 1, 2 or None (none); fails on a mix or a lone file."""
    summary, monthly = out / "summary.json", out / "monthly.parquet"
    if not summary.exists() and not monthly.exists():
        return None
    assert summary.exists() and monthly.exists(), "one file of a run without the other"
    seed = json.loads(summary.read_text())["provenance"]["seed"]
    frame = pd.read_parquet(monthly)
    pd.testing.assert_frame_equal(frame, results[seed].monthly_quantiles(),
                                  obj=f"monthly.parquet beside the summary of seed {seed}")
    return int(seed)


_MUTATING = ("replace", "rename", "symlink", "link", "unlink", "mkdir", "chmod", "fsync",
             "rmdir")


def _write_killed_at(step: int, result: MonteCarloResult, out: Path) -> bool:
    """Write `result` in a forked child that SIGKILLs itself just before its `step`-th file
    system change; True if it was killed (False: the write finished in fewer steps)."""
    pid = os.fork()
    if pid == 0:  # the child: count every file-system change, die at the chosen one
        code = 0
        try:
            count = [0]

            def wrap(fn: Any) -> Any:
                def inner(*args: Any, **kwargs: Any) -> Any:
                    count[0] += 1
                    if count[0] == step:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return fn(*args, **kwargs)

                return inner

            for name in _MUTATING:
                setattr(os, name, wrap(getattr(os, name)))
            shutil.rmtree = wrap(shutil.rmtree)  # type: ignore[assignment]
            write_results(result, out)
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) or os.WEXITSTATUS(status) == 0, "the write itself failed"
    return os.WIFSIGNALED(status)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("before", ["earlier run", "first run", "plain files of an old version"])
def test_killed_in_the_write_window_leaves_all_old_or_all_new(
        before: str, results: dict[int, MonteCarloResult], tmp_path: Path) -> None:
    """A SIGKILL at every step of writing run 2 over run 1 (or over nothing, or over run 1
    written as plain files): the folder always holds all of run 1 or all of run 2, and the
    next write cleans up what the killed one left."""
    steps = 0
    seen: set[int | None] = set()
    for step in range(1, 200):
        out = tmp_path / f"out{step}"
        out.mkdir()
        if before == "earlier run":
            write_results(results[1], out)
        elif before == "plain files of an old version":
            (out / "summary.json").write_text(json.dumps(
                {"provenance": {"seed": 1}, "metrics": {}}))
            results[1].monthly_quantiles().to_parquet(out / "monthly.parquet", index=False)
        killed = _write_killed_at(step, results[2], out)
        state = _state(out, results)
        seen.add(state)
        if not killed:
            assert state == 2
            break
        assert state in ((None, 2) if before == "first run" else (1, 2)), (step, state)
        write_results(results[1], out)  # the next write: complete, strays removed
        assert _state(out, results) == 1
        unit_dirs = [p.name for p in out.iterdir() if p.name.startswith(".run.")
                     and p.is_dir() and not p.is_symlink()]
        assert len(unit_dirs) == 1 and os.readlink(out / ".run") == unit_dirs[0], unit_dirs
        assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
        steps = step
    assert steps >= 8, "the write window has fewer steps than expected: is the fault hook on?"
    assert 2 in seen and (seen & {1, None}), seen  # killed both before and after publishing


def test_readers_find_the_files_where_they_were(results: dict[int, MonteCarloResult],
                                                tmp_path: Path) -> None:
    paths = write_results(results[1], tmp_path)
    assert paths == [tmp_path / "summary.json", tmp_path / "monthly.parquet"]
    assert _state(tmp_path, results) == 1
    write_results(results[2], tmp_path)
    assert _state(tmp_path, results) == 2
    (tmp_path / "compare.json").write_text("{}")  # another command's file stays untouched
    (tmp_path / ".monthly.parquet.k2j4.tmp").write_text("a stray of an older version")
    write_results(results[1], tmp_path)
    assert (tmp_path / "compare.json").read_text() == "{}"
    assert not (tmp_path / ".monthly.parquet.k2j4.tmp").exists()


def _scenario(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    raw = copy.deepcopy(BASE)
    raw["bets"] = [{"name": "x", "changes": [{"path": "sales.managers", "add": 1}]}]
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _no_simulation(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("simulated although --out cannot be written")


OUT_CASES = ["a file", "below a file"] + (["/proc"] if LINUX else [])


@pytest.mark.parametrize("where", OUT_CASES)
@pytest.mark.parametrize("command", ["run", "compare", "seek", "calibrate transactions",
                                     "calibrate funnel", "calibrate retention"])
def test_unwritable_out_is_refused_before_any_work(
        command: str, where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.experiments.compare as compare
    import sim.experiments.goalseek as goalseek
    import sim.experiments.montecarlo as montecarlo

    monkeypatch.setattr(montecarlo, "run_monte_carlo", _no_simulation)
    monkeypatch.setattr(compare, "compare_bets", _no_simulation)
    monkeypatch.setattr(goalseek, "seek_size", _no_simulation)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = {"a file": blocker, "below a file": blocker / "sub",
           "/proc": Path("/proc/growthsim_out")}[where]
    scenario = _scenario(tmp_path)
    args = {
        "run": ["run", str(scenario), "--reps", "1"],
        "compare": ["compare", str(scenario), "--reps", "2"],
        "seek": ["seek", str(scenario), "--bet", "x", "--high", "2"],
        "calibrate transactions": ["calibrate", "transactions", str(tmp_path / "none.csv")],
        "calibrate funnel": ["calibrate", "funnel", str(tmp_path / "none.csv")],
        "calibrate retention": ["calibrate", "retention", str(tmp_path / "none.csv")],
    }[command]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    flat = " ".join(result.output.split())
    assert "cannot write results to" in flat and "choose another folder with --out" in flat
    why = {"a file": "it is a file, not a folder", "below a file": "a part of the path is a file",
           "/proc": "cannot be created there"}[where]
    assert why in flat, flat
    assert blocker.read_text() == "not a folder"


def _cli(args: list[str], **kwargs: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", "from sim.cli.main import main; main()",
                             *args], cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kwargs)


@pytest.mark.skipif(not LINUX, reason="RLIMIT_FSIZE")
def test_full_disk_keeps_earlier_results(tmp_path: Path) -> None:
    """`ulimit -f 8` (4 KB files): the run's write fails with a message and exit 2, and the
    earlier results are untouched, with nothing left over."""
    import resource

    scenario, out = _scenario(tmp_path), tmp_path / "out"
    first = _cli(["run", str(scenario), "--reps", "2", "--workers", "1", "--out", str(out)])
    assert first.wait(120) == 0, first.stderr.read() if first.stderr else ""
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name.endswith((".json",
                                                                                ".parquet"))}
    listing = sorted(p.name for p in out.iterdir())

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 512, 8 * 512))

    proc = _cli(["run", str(scenario), "--reps", "2", "--workers", "1", "--out", str(out),
                 "--seed", "2"], preexec_fn=limit)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    flat = " ".join(err.split())
    assert "Traceback" not in err and "file size limit" in flat
    assert "earlier results there are unchanged" in flat
    assert {p.name: p.read_bytes() for p in out.iterdir()
            if p.name.endswith((".json", ".parquet"))} == before
    assert sorted(p.name for p in out.iterdir()) == listing


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                kids.append(int(entry.name))
    return kids


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def _wait_for_workers(proc: subprocess.Popen[str], n: int = 2) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        kids = _children(proc.pid)
        if len(kids) >= n:
            return kids
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.05)
    raise AssertionError("the pool's workers never started")


LONG_RUN = ["run", "scenarios/reference.yaml", "--reps", "40", "--workers", "2"]


@pytest.mark.skipif(not LINUX, reason="/proc and PR_SET_PDEATHSIG")
def test_workers_end_with_a_killed_parent(tmp_path: Path) -> None:
    proc = _cli([*LONG_RUN, "--out", str(tmp_path / "out")])
    workers = _wait_for_workers(proc)
    time.sleep(0.5)
    proc.kill()
    proc.wait(10)
    deadline = time.monotonic() + 5
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(workers), "pool workers outlived their killed parent"
    assert proc.stdout is not None
    proc.stdout.read()  # EOF at once: no worker holds the caller's pipe open
    assert not (tmp_path / "out" / "summary.json").exists()


@pytest.mark.skipif(not LINUX, reason="/proc")
def test_ctrl_c_says_what_was_interrupted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"earlier": true}')

    def default_sigint() -> None:  # CI may start us with SIGINT ignored (a background job)
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    proc = _cli([*LONG_RUN, "--out", str(out)], preexec_fn=default_sigint)
    workers = _wait_for_workers(proc)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    flat = " ".join(err.split())
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "interrupted (Ctrl-C) while simulating Reference (benchmark)" in flat, err
    assert "nothing of this run was written" in flat
    assert (out / "summary.json").read_text() == '{"earlier": true}'
    assert not _alive(workers)

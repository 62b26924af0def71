"""Dask executors: a real LocalCluster on 127.0.0.1 (`--dask-workers`) and, separately, `dask
scheduler` and `dask worker` processes started by the test (`--scheduler`), give the same bytes
as a serial run of the same sweep; `compare --scheduler` gives the same comparison."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli.main import app
from tests.test_batch import SWEEP, batch, store_bytes, write_sweep

pytest.importorskip("distributed")

DASK = Path(sys.executable).with_name("dask")


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("dask")
    sweep = write_sweep(folder, {**SWEEP, "chunk": 2})
    result = batch(CliRunner(), sweep, folder / "serial", "--workers", "1")
    assert result.exit_code == 0, result.output
    return sweep, folder / "serial"


def test_local_cluster_gives_the_same_bytes(serial: tuple[Path, Path], tmp_path: Path) -> None:
    sweep, reference = serial
    result = batch(CliRunner(), sweep, tmp_path / "local", "--dask-workers", "2")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "local" / "manifest.json").read_text())
    assert manifest["runs"][-1]["executor"].startswith("local dask cluster of 2")
    assert store_bytes(tmp_path / "local") == store_bytes(reference)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `dask scheduler` and one `dask worker` process on 127.0.0.1, stopped afterwards."""
    folder = tmp_path_factory.mktemp("cluster")
    info = folder / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(info)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        procs.append(subprocess.Popen(
            [str(DASK), "worker", address, "--nworkers", "2", "--nthreads", "1",
             "--no-dashboard", "--host", "127.0.0.1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):  # the worker first, then the scheduler
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_existing_cluster_gives_the_same_bytes(serial: tuple[Path, Path], scheduler: str,
                                               tmp_path: Path) -> None:
    sweep, reference = serial
    result = batch(CliRunner(), sweep, tmp_path / "remote", "--scheduler", scheduler)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "remote" / "manifest.json").read_text())
    assert manifest["runs"][-1]["executor"] == f"dask scheduler {scheduler} (2 threads)"
    assert store_bytes(tmp_path / "remote") == store_bytes(reference)


def test_compare_on_the_cluster_is_the_same(serial: tuple[Path, Path], scheduler: str,
                                            tmp_path: Path) -> None:
    sweep, _ = serial
    scenario = sweep.parent / "tiny.yaml"
    outputs = []
    for name, extra in (("local", ["--workers", "1"]), ("dask", ["--scheduler", scheduler])):
        result = CliRunner().invoke(app, ["compare", str(scenario), "--reps", "4", "--seed", "3",
                                          "--out", str(tmp_path / name), *extra])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads((tmp_path / name / "compare.json").read_text())["ranking"])
    assert outputs[0] == outputs[1]


def test_unreachable_scheduler_is_bad_input(serial: tuple[Path, Path], tmp_path: Path) -> None:
    from sim.experiments.runner.executors import ExecutorError, open_executor

    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"), \
            open_executor(scheduler="tcp://127.0.0.1:9", timeout=0.5):
        pass
    sweep, _ = serial
    both = batch(CliRunner(), sweep, tmp_path / "x", "--workers", "2", "--dask-workers", "2")
    assert both.exit_code == 2 and "--workers" in both.output


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("GROWTHSIM_SLOW"),
                    reason="starts a pool and a Dask cluster: set GROWTHSIM_SLOW=1 to run it")
def test_bench_batch_figures(serial: tuple[Path, Path]) -> None:
    """`growthsim bench --batch` on the tiny scenario: tasks of one size, two per variant."""
    from rich.console import Console

    from sim.cli.batch import batch_benchmarks

    sweep, _ = serial
    figures = batch_benchmarks(sweep.parent / "tiny.yaml", chunk=2, variants=2,
                               out=Console(file=open(os.devnull, "w")))  # noqa: SIM115
    assert figures["batch_tasks"] == 2 * 2 and figures["batch_replications_per_task"] == 2
    assert figures["batch_speedup_2_workers"] == pytest.approx(
        figures["batch_seconds_1_worker"] / figures["batch_seconds_2_workers"])
    assert 0 <= figures["dask_overhead_ratio"] < 100

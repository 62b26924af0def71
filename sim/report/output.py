"""Writing results, each command's files as one unit: they appear together or not at all.

A command's files (a *unit*: `run` writes summary.json and monthly.parquet, `compare` its two,
`seek` seek.json, each `calibrate` its own) are written into a fresh hidden folder beside them,
`OUT/.run.<random>/`, and made durable (fsync). Each result file the user reads is a relative
symbolic link, `OUT/summary.json -> .run/summary.json`, and `OUT/.run` is itself a link to the
current folder. Publishing a unit is one `rename` of a new `.run` link over the old one, which
POSIX makes atomic: a reader, a crash or a SIGKILL at any moment sees all old files or all new
ones, never a new summary beside an old parquet. A disk that fills up, or any other write error,
fails before that rename, so the earlier results stay as they were (`OutputError`, exit 2 in the
CLI). Folders and temporary links left by a killed run are removed by the next write of the
unit; writers of one unit take turns through a lock file.

Readers need not know: `OUT/summary.json` opens as before. Where the file system has no symbolic
links (some Windows setups), each file is renamed into place one by one, as before.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from models.spec.errors import Message
from models.spec.messages import msg
from sim.experiments.compare import Comparison
from sim.experiments.montecarlo import MonteCarloResult
from sim.report import owner

Writer = Callable[[Path], None]


class OutputError(OSError):
    """Results cannot be written where asked; `message` says why and what to do (both
    languages)."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


_WHY = {
    errno.ENOTDIR: ("a part of the path is a file, not a folder",
                    "часть пути — файл, а не папка"),
    errno.EISDIR: ("a folder stands where a file must go", "на месте файла стоит папка"),
    errno.EEXIST: ("it is a file, not a folder", "это файл, а не папка"),
    errno.EACCES: ("permission denied", "нет прав на запись"),
    errno.EPERM: ("permission denied", "нет прав на запись"),
    errno.EROFS: ("a read-only file system", "файловая система только для чтения"),
    errno.ENOSPC: ("the disk is full", "диск заполнен"),
    errno.EDQUOT: ("the disk quota is used up", "исчерпана дисковая квота"),
    errno.EFBIG: ("the file size limit, ulimit -f, is reached",
                  "достигнут предел размера файла, ulimit -f"),
    errno.ENOENT: ("the folder cannot be created there", "папку там нельзя создать"),
}


def _why(err: OSError) -> Message:
    en, ru = _WHY.get(err.errno or 0, (err.strerror or type(err).__name__,) * 2)
    return Message(en, ru)


def check_writable(out_dir: Path) -> None:
    """Make sure results can be written to `out_dir` (creating it), before any simulation: a
    file written and removed there. Raises `OutputError`."""
    out_dir = Path(out_dir)
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise OutputError(msg("out_not_writable", path=out_dir,
                                  why=Message(*_WHY[errno.EEXIST])))
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".growthsim-probe.", dir=out_dir)
        try:
            os.write(fd, b"probe\n")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OutputError:
        raise
    except OSError as err:
        raise OutputError(msg("out_not_writable", path=out_dir, why=_why(err))) from None


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _mode(path: Path, directory: bool = False) -> None:
    # mkstemp/mkdtemp make private files (0600/0700); results are ordinary files (less umask)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, (0o777 if directory else 0o666) & ~umask)


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # a folder cannot be opened on some systems: nothing to sync
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)


def write_atomic(path: Path, write: Writer) -> None:
    """Call `write(tmp)` for a temporary file beside `path`, then rename it over `path` (one
    file; a command's results go through `write_unit`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        _mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _locked(out_dir: Path, unit: str) -> Iterator[None]:
    """Writers of one unit in one folder take turns (so a stray is never a live writer's)."""
    try:
        import fcntl
    except ImportError:  # no POSIX locks (Windows): one writer at a time is the user's part
        yield
        return
    with open(out_dir / f".{unit}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _symlinks_work(out_dir: Path) -> bool:
    probe = out_dir / f".growthsim-link-probe.{uuid.uuid4().hex}"
    try:
        os.symlink("target", probe)
    except (OSError, NotImplementedError):
        return False
    probe.unlink()
    return True


def _link(out_dir: Path, name: str, target: str) -> None:
    """Make `out_dir/name` a symbolic link to `target`, atomically (a temporary link renamed
    over it)."""
    path = out_dir / name
    if path.is_symlink() and os.readlink(path) == target:
        return
    tmp = out_dir / f".{name}.link.{uuid.uuid4().hex}.tmp"
    os.symlink(target, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _clean_strays(out_dir: Path, unit: str, names: list[str], current: str | None) -> None:
    """Remove what a killed writer of this unit left: its unfinished folders, temporary links
    and (from before units) `.name.*.tmp` files."""
    for entry in out_dir.iterdir():
        n = entry.name
        if n.startswith(f".{unit}.") and n != current and not n.endswith(".lock"):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        elif any(n.startswith(f".{name}.") and n.endswith(".tmp")
                 for name in [*names, f".{unit}"]):
            entry.unlink(missing_ok=True)


def _adopt_plain_files(out_dir: Path, unit: str, names: list[str]) -> None:
    """Results written before units (plain files) become the current unit first, unchanged, so
    that replacing them by links never shows a mix of old and new files."""
    pointer = out_dir / f".{unit}"
    plain = [n for n in names if (out_dir / n).is_file() and not (out_dir / n).is_symlink()]
    if not plain or pointer.is_symlink():
        return
    old = Path(tempfile.mkdtemp(prefix=f".{unit}.", dir=out_dir))
    for n in plain:
        try:
            os.link(out_dir / n, old / n)
        except OSError:
            shutil.copy2(out_dir / n, old / n)
    _mode(old, directory=True)
    _link(out_dir, f".{unit}", old.name)
    for n in plain:
        _link(out_dir, n, f".{unit}/{n}")


def write_unit(out_dir: Path, unit: str, writers: dict[str, Writer]) -> list[Path]:
    """Write a command's result files as one unit (see the module docstring): `writers` maps
    each file name to a function writing it to the path it is given. Returns the files' paths
    as a reader opens them. Raises `OutputError` (the earlier results intact) on a write error.
    """
    out_dir = Path(out_dir)
    check_writable(out_dir)
    names = list(writers)
    try:
        with _locked(out_dir, unit):
            if not _symlinks_work(out_dir):
                for name, write in writers.items():
                    write_atomic(out_dir / name, write)
                return [out_dir / n for n in names]
            _publish(out_dir, unit, writers)
    except OutputError:
        raise
    except OSError as err:
        raise OutputError(msg("out_write_failed", path=out_dir, why=_why(err))) from None
    return [out_dir / n for n in names]


def _publish(out_dir: Path, unit: str, writers: dict[str, Writer]) -> None:
    names = list(writers)
    pointer = out_dir / f".{unit}"
    current = os.readlink(pointer) if pointer.is_symlink() else None
    _clean_strays(out_dir, unit, names, current)
    _adopt_plain_files(out_dir, unit, names)
    current = os.readlink(pointer) if pointer.is_symlink() else None
    new = Path(tempfile.mkdtemp(prefix=f".{unit}.", dir=out_dir))
    try:
        for name, write in writers.items():
            write(new / name)
            _mode(new / name)
            _fsync(new / name)
        _mode(new, directory=True)
        _fsync(new)
        # The readers' links point through `.unit`: while it still names the old folder they
        # show the old files (or nothing, on a first run).
        for name in names:
            _link(out_dir, name, f".{unit}/{name}")
        _fsync(out_dir)
        _link(out_dir, f".{unit}", new.name)  # the one atomic step that publishes the unit
    except BaseException:
        if not (pointer.is_symlink() and os.readlink(pointer) == new.name):
            shutil.rmtree(new, ignore_errors=True)
        raise
    _fsync(out_dir)
    if current is not None and current != new.name:
        shutil.rmtree(out_dir / current, ignore_errors=True)
    for entry in out_dir.iterdir():  # files the previous unit had and this one has not
        if (entry.is_symlink() and entry.name not in names
                and os.readlink(entry).startswith(f".{unit}/")):
            entry.unlink()


def _json_writer(data: Any) -> Writer:
    text = json.dumps(_clean(data), indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def _parquet_writer(frame: pd.DataFrame) -> Writer:
    return lambda path: frame.to_parquet(path, index=False)


def write_json(path: Path, data: Any) -> None:
    """One JSON file, atomically (not a unit: for a lone file a reader opens directly)."""
    write_atomic(path, _json_writer(data))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    write_atomic(path, _parquet_writer(frame))


def summary_document(result: MonteCarloResult) -> dict[str, Any]:
    """Provenance, every metric's summary, and where money leaks per stage
    (`sim.report.owner.leaks`: lost, worth, share of potential, advertising, targeting bets)."""
    table = owner.leaks(result)
    return {"provenance": result.provenance(), "metrics": result.summary(),
            "leaks": [{**row, "bets": list(row["bets"])}
                      for row in table.to_dict(orient="records")]}


def write_results(result: MonteCarloResult, out_dir: Path) -> list[Path]:
    """`summary.json` (one object per metric) and `monthly.parquet` (monthly quantiles), one
    unit."""
    return write_unit(out_dir, "run", {
        "summary.json": _json_writer(summary_document(result)),
        "monthly.parquet": _parquet_writer(result.monthly_quantiles()),
    })


def write_comparison(cmp: Comparison, out_dir: Path) -> list[Path]:
    """`compare.json` (per bet and metric: mean, sd, p10, p50, p90, the paired difference with
    its interval) and `compare_monthly.parquet` (monthly quantiles per bet), one unit."""
    return write_unit(out_dir, "compare", {
        "compare.json": _json_writer(cmp.to_dict()),
        "compare_monthly.parquet": _parquet_writer(cmp.monthly_quantiles()),
    })


def write_seek(data: dict[str, Any], out_dir: Path) -> list[Path]:
    """`seek.json`, as a unit (so its write errors and strays are handled like the others)."""
    return write_unit(out_dir, "seek", {"seek.json": _json_writer(data)})


def write_files(out_dir: Path, unit: str, files: dict[str, Any]) -> list[Path]:
    """A unit of files named `*.yaml` (written as YAML) and others (JSON), for `calibrate`."""
    import yaml

    writers: dict[str, Writer] = {}
    for name, data in files.items():
        if name.endswith((".yaml", ".yml")):
            text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)

            def write(path: Path, text: str = text) -> None:
                path.write_text(text, encoding="utf-8")

            writers[name] = write
        else:
            writers[name] = _json_writer(data)
    return write_unit(out_dir, unit, writers)


def write_optimise(data: dict[str, Any], figures: pd.DataFrame, trials: pd.DataFrame,
                   out_dir: Path) -> list[Path]:
    """`optimise.json`, `optimise_figures.parquet` and `optimise_trials.parquet`, one unit
    (`growthsim optimise`; see `sim.report.optimise`)."""
    return write_unit(out_dir, "optimise", {
        "optimise.json": _json_writer(data),
        "optimise_figures.parquet": _parquet_writer(figures),
        "optimise_trials.parquet": _parquet_writer(trials),
    })

"""The documentation cannot rot unseen: README.md and every page of docs/ are run as written.

- Every ```bash block runs from the repository root (its entries linked beside a fresh `out/`)
  with this environment's `bin/` first on PATH (as after `source .venv/bin/activate`), and must
  exit 0; every ```python block of a page runs in one namespace shared by that page's blocks, in
  order, after the bash blocks before it.
  ```console, ```text and ```yaml blocks are shown, not run. A bash block identical to one
  already run (a translated page repeats its original's blocks) is run once.
- Every repository path a page names in backticks (`sim/report/owner.py`,
  `scenarios/b2b_services.yaml`) exists, and every dotted name of the library it names
  (`sim.report.owner.leaks`, `models.compiled.worth.chance_to_pay`) imports.
- The generated reference pages are generated (a marker, not hand-typed text), and their
  generators cover every command and every scenario field.
- The README is short, and its test command is exactly what `.ci/run` runs.
- No issue, session or source-seed numbers in the prose.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^(?P<indent>[ ]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ ]*$",
                   re.M | re.S)
RUN = {"bash", "python"}
SHOWN = {"console", "text", "yaml", ""}
# A path in backticks: a top-level folder of the repository or one of its files at the root.
TOP = ("models/", "sim/", "scenarios/", "tests/", "docs/", "scripts/", ".ci/")
ROOT_FILES = ("README.md", "CHANGELOG.md", "CONTRIBUTING.md", "LICENSE", "pyproject.toml",
              "mkdocs.yml", "app.py", ".streamlit/config.toml")
TICKED = re.compile(r"`([^`\n]+)`")
DOTTED = re.compile(r"^(?:sim|models)(?:\.[A-Za-z_]\w*)+$")


def rel(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def blocks(page: Path) -> list[tuple[str, str]]:
    """(language, code) of every fenced block of a page, in order, indentation removed."""
    text = page.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        indent = len(m["indent"])
        body = "\n".join(line[indent:] for line in m["body"].splitlines())
        out.append((m["lang"], body))
    return out


def prose(page: Path) -> str:
    """A page without its fenced blocks."""
    return FENCE.sub("", page.read_text(encoding="utf-8"))


def test_every_block_is_marked_run_or_shown() -> None:
    """A block with another language would be silently skipped: say which it is."""
    unknown = [(rel(p), lang) for p in PAGES for lang, _ in blocks(p)
               if lang not in RUN | SHOWN | {"json", "toml"}]
    assert not unknown, f"blocks neither run nor shown (use bash/python or console/text): {unknown}"


_ran: set[tuple[str, str]] = set()  # (language, code) of the blocks already run


def _env() -> dict[str, str]:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(Path(sys.executable).parent.parent)
    env["MPLBACKEND"] = "Agg"
    env.pop("PYTHONPATH", None)
    return env


RUNNABLE = [p for p in PAGES if any(lang in RUN for lang, _ in blocks(p))]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's top level as links, with an empty `out/`: the pages run as a reader's
    first run would, whatever an earlier run of other code left in the real `out/` (a batch
    store refuses to mix its results with another version's)."""
    where = tmp_path_factory.mktemp("docs-run")
    for entry in ROOT.iterdir():
        if entry.name not in ("out", ".git"):
            (where / entry.name).symlink_to(entry)
    (where / "out").mkdir()
    return where


@pytest.mark.parametrize("page", RUNNABLE, ids=rel)
def test_page_runs_as_written(page: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's bash and python blocks, in order, as a reader would run them."""
    monkeypatch.chdir(workdir)
    namespace: dict[str, object] = {"__name__": f"docs:{rel(page)}"}
    for i, (lang, code) in enumerate(blocks(page)):
        where = f"{rel(page)}, block {i + 1} ({lang})"
        if lang in RUN and (lang, code) in _ran:
            continue  # a translated page repeats its original's blocks: run once
        if lang == "bash":
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=workdir, env=_env(),
                                  capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, (
                f"{where} exited {done.returncode}:\n{code}\n--- stdout\n{done.stdout[-3000:]}"
                f"\n--- stderr\n{done.stderr[-3000:]}")
            _ran.add((lang, code))
        elif lang == "python":
            try:
                exec(compile(code, where, "exec"), namespace)
            except Exception as exc:  # the block, named, with its error
                raise AssertionError(f"{where} failed: {exc!r}\n{code}") from exc
            _ran.add((lang, code))


def _ticked(page: Path) -> list[str]:
    return [m for m in TICKED.findall(prose(page))]


def test_every_path_named_exists() -> None:
    missing = []
    for page in PAGES:
        for token in _ticked(page):
            token = token.strip().split(" ")[0].rstrip(",.:;")
            if not (token.startswith(TOP) or token in ROOT_FILES):
                continue
            token = token.split("::")[0]  # tests/test_x.py::test_name
            if any(c in token for c in "*?<>{}"):
                hits = list(ROOT.glob(token.split("<")[0].split("{")[0])) if "*" in token else [1]
                if not hits:
                    missing.append((rel(page), token))
                continue
            if not (ROOT / token).exists():
                missing.append((rel(page), token))
    assert not missing, f"paths the docs name that do not exist: {missing}"


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


def test_every_library_name_named_exists() -> None:
    missing = []
    for page in PAGES:
        for token in _ticked(page):
            token = token.strip().rstrip("()")
            if DOTTED.match(token) and not _resolves(token):
                missing.append((rel(page), token))
    assert not missing, f"library names the docs use that do not exist: {sorted(set(missing))}"


def test_reference_pages_are_generated() -> None:
    """The CLI, scenario, API and module references are markers the site's hook expands, and
    what they expand to covers every command and every field."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import docs_hooks
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    for page, marker in (("docs/reference/cli.md", "cli"),
                         ("docs/reference/scenario.md", "scenario"),
                         ("docs/reference/api.md", "api"),
                         ("docs/explanation/architecture.md", "modules")):
        assert f"<!-- generated: {marker} -->" in (ROOT / page).read_text(encoding="utf-8"), page

    import typer.main

    from models.spec.scenario import Scenario, Tier
    from sim.cli.main import app

    cli = docs_hooks.cli_reference()
    for name in typer.main.get_command(app).commands:
        assert f"## `growthsim {name}" in cli, name
    assert "`growthsim calibrate funnel`" in cli and "--cash-floor" in cli
    scenario = docs_hooks.scenario_reference()
    for field in (*Scenario.model_fields, *Tier.model_fields):
        assert f"| `{field}` |" in scenario, field
    modules = docs_hooks.modules_table()
    for path in (*ROOT.glob("sim/**/*.py"), *ROOT.glob("models/**/*.py")):
        if "__pycache__" not in path.parts:
            assert f"`{path.relative_to(ROOT).as_posix()}`" in modules, path
    # the performance page's figures come from the generated benchmark file
    performance = (ROOT / "docs/explanation/performance.md").read_text(encoding="utf-8")
    assert "<!-- generated: include docs/data/bench-quick.txt -->" in performance
    assert "command: growthsim bench" in docs_hooks.include("docs/data/bench-quick.txt")


def test_readme_is_short_and_its_test_command_is_ci() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    ci = [line for line in (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()
          if line and not line.startswith(("#", "set ", "cd "))]
    assert len(ci) == 1, ci
    commands = [body.strip() for lang, body in blocks(ROOT / "README.md") if lang == "console"]
    assert ci[0].strip() in commands, "the README's test command must be exactly .ci/run's"
    assert "mkdocs build --strict" in ci[0]


NUMBERED = re.compile(
    r"\b(?:issue|session) \d{1,3}\b|\bseeds? 00\d|\(00[0-2]\)|(?-i:\bMODEL\.md)", re.I)


def test_no_issue_or_seed_numbers_in_the_prose() -> None:
    found = [(rel(p), m) for p in [*PAGES, ROOT / "CHANGELOG.md", ROOT / "CONTRIBUTING.md"]
             for m in NUMBERED.findall(prose(p))]
    assert not found, f"say what a thing is for, not its issue or seed number: {found}"

"""The design holds: dependencies point one way, conventions live in one place, the four levers
multiply out, and the public API is what the README shows.

spec <- compiled form <- engines <- experiments <- report <- CLI and app (see
docs/explanation/architecture.md).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

import sim
from models.accounting.metrics import LEVER_METRICS

ROOT = Path(__file__).resolve().parents[1]

# Each layer may import only the layers to its left (and itself). The purchase models of
# `models.calibration` (BG/NBD, Gamma-Gamma, sBG, BG/BB and their fitting) are the model's own
# mathematics: the compiled form reads a customer base's posterior from them. Calibrating a
# business (reading its exports, writing a scenario) uses the compiled form's units, so it sits
# above.
LAYERS = [
    ("models.spec",),
    ("models.calibration.mle", "models.calibration.bgnbd", "models.calibration.gamma_gamma",
     "models.calibration.sbg", "models.calibration.bgbb"),
    ("models.compiled",),
    ("models.accounting", "models.calibration", "models.load"),
    ("sim.engines",),
    ("sim.experiments",),
    ("sim.report",),
    ("sim.cli", "sim.app", "sim"),
]


def _layer(module: str) -> int:
    best, longest = -1, 0
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and prefix != "sim" and len(prefix) > longest:
                best, longest = i, len(prefix)
    if best < 0 and module.startswith("sim"):
        best = len(LAYERS) - 1
    return best


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [m for m in found if m.split(".")[0] in ("sim", "models")]


def _sources() -> list[Path]:
    return sorted((ROOT / "models").rglob("*.py")) + sorted((ROOT / "sim").rglob("*.py"))


def test_dependencies_point_one_way() -> None:
    wrong = []
    for path in _sources():
        me = _module_name(path)
        if me == "sim":  # the public API re-exports every layer
            continue
        for target in _imports(path):
            if _layer(target) > _layer(me):
                wrong.append(f"{me} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_models_never_import_sim() -> None:
    wrong = [f"{_module_name(p)} imports {t}" for p in sorted((ROOT / "models").rglob("*.py"))
             for t in _imports(p) if t.split(".")[0] == "sim"]
    assert not wrong, "\n".join(wrong)


# Conventions worked out in `models.compiled.units` (and the goal in `models.accounting.goal`):
# a second copy anywhere else is a place where the two can drift apart.
DUPLICATES = {
    r"\*\* \(1 / 12\)|\*\* \(1\.0 / 12\.0\)": "a monthly rate: use units.monthly_discount_rate",
    r"[*/] 30(\.0)?\b|\"month\": 30": "30 days: use units.DAYS_PER_MONTH",
    r"math\.floor\(\w+ \+ 0\.5\)": "rounding a whole-number field: use units.whole_number",
    r"log1p\(\w*monthly_discount": "a daily discount: use units.discount_per_day",
    r"spawn_key=": "a random-stream key: use models.compiled.streams",
    r"hits = np\.flatnonzero\(series >= target\)": "a goal's month: use models.accounting.goal",
}
OWNERS = {"models/compiled/units.py", "models/compiled/streams.py", "models/accounting/goal.py"}


@pytest.mark.parametrize("pattern", list(DUPLICATES))
def test_no_convention_is_worked_out_twice(pattern: str) -> None:
    rx = re.compile(pattern)
    found = []
    for path in _sources():
        rel = str(path.relative_to(ROOT))
        if rel in OWNERS:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if rx.search(code) and not code.strip().startswith(('"', "'")):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, DUPLICATES[pattern] + "\n" + "\n".join(found)


def test_levers_are_of_the_clients_won_not_the_starting_clients() -> None:
    """A hand-worked case: new clients buy once at 1,000 (the next purchase 100 months away,
    invoices paid at once); five starting clients pay a 7,000 retainer every month of the four.
    So, whatever the draws, the average check is exactly 1,000, each client won buys exactly
    once, the clients won bring 1,000 each and the starting clients 5 x 4 x 7,000 = 140,000.
    Catches levers taken over all buyers (the retainer would lift the average check and the
    purchases per client), starting clients' revenue counted as won, or a lever that does not
    multiply out to the revenue of the clients won."""
    from models.accounting.metrics import run_metrics
    from models.compiled.form import compile_scenario
    from sim.engines import ENGINE_NAMES, get_engine

    cs = compile_scenario(sim.load_scenario({
        "name": "levers", "horizon_months": 4,
        "channels": [{"name": "organic", "organic_leads": 40.0}],
        "sales": {"managers": 10, "handling_minutes": 0.01},
        "journey": {"first_contact_conversion": 0.3,
                    "invoice": {"paid_probability": 1.0, "delay_days": 0.0}},
        "tiers": [{"name": "once", "price": 1000, "entry_share": 1.0, "monthly_churn": 0.0,
                   "regular": True, "purchase_interval_months": 100},
                  {"name": "retainer", "price": 7000, "entry_share": 0.0,
                   "monthly_churn": 0.0, "regular": True, "purchase_interval_months": 1}],
        "initial_state": {"clients": [{"tier": "retainer", "count": 5, "tenure_months": 3}]},
    }))
    for engine in ENGINE_NAMES:
        for seed in (1, 2):
            r = run_metrics(get_engine(engine)(cs, seed), cs)
            won = r["total_new_clients"]
            assert won > 0, "nobody won: the case tests nothing"
            assert r["average_check"] == 1000.0, engine
            assert r["purchases_per_client"] == 1.0, engine
            assert r["new_clients_revenue"] == 1000.0 * won, engine
            assert r["starting_clients_revenue"] == 5 * 4 * 7000.0, engine
            assert r["total_revenue"] == 1000.0 * won + 140_000.0, engine
            levers = np.prod([r[m] for m in LEVER_METRICS])
            assert levers == pytest.approx(1000.0 * won, rel=1e-12), engine


def test_public_api_is_what_the_readme_uses() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks, "the README shows the Python API"
    for block in blocks:
        for module in re.findall(r"^\s*(?:from|import) ([\w.]+)", block, flags=re.M):
            if module.split(".")[0] not in ("sim", "models"):
                continue  # other libraries (pandas, duckdb) read what the library wrote
            assert module == "sim" or module.startswith("sim.report"), (
                f"README imports {module}: notebook examples use the public API `sim`")
    for name in sim.__all__:
        if name.isupper():  # a constant
            continue
        assert getattr(sim, name).__doc__, f"sim.{name} has no docstring"


def _python_examples() -> list[tuple[str, str]]:
    """(page, code) of every ```python block of the README and the docs site."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [(str(page.relative_to(ROOT)), block) for page in pages
            for block in re.findall(r"```python\n(.*?)```", page.read_text("utf-8"), flags=re.S)]


def test_every_name_an_example_uses_is_exported_by_sim() -> None:
    """A notebook copies the examples of the README and the docs: each imports the library as
    `sim` (the report layer, `sim.report`, for tables and figures) and every `sim.NAME` it uses
    is in `sim.__all__`. A bug: an example reaching into `sim.experiments` or `models` (paths that
    move with the code), or using a name the API does not export."""
    examples = _python_examples()
    assert len(examples) > 10, "the docs show the Python API"
    for page, block in examples:
        tree = ast.parse(block)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                           else [node.module or ""])
                for module in modules:
                    if module.split(".")[0] in ("sim", "models"):
                        assert module == "sim" or module.startswith("sim.report"), (
                            f"{page} imports {module}: examples use the public API `sim`")
                if isinstance(node, ast.ImportFrom) and node.module == "sim":
                    for alias in node.names:
                        assert alias.name in sim.__all__, f"{page}: sim.{alias.name}"
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "sim" and node.attr != "report"):
                assert node.attr in sim.__all__, (
                    f"{page} uses sim.{node.attr}, which `sim` does not export")


# The options every experiment shares: keyword-only, and spelled the same in each.
SHARED_OPTIONS = ("replications", "seed", "workers", "executor", "engine", "progress")


def test_the_options_every_experiment_shares_are_keyword_only_and_spelled_the_same() -> None:
    """`sim.compare_bets(spec, bets, replications=40, seed=1, workers=2)` works the same way
    for every experiment. A bug: an experiment taking `reps=` or `n_workers=`, or a shared
    option passed by position (a new parameter inserted before it would silently shift it)."""
    import inspect

    experiments = [sim.run_monte_carlo, sim.compare_bets, sim.seek_size, sim.optimise,
                   sim.track, sim.value_of_information, sim.sensitivity.sobol,
                   sim.sensitivity.morris, sim.sensitivity.tornado, sim.stress.stress_test,
                   sim.stress.reverse_stress]
    for fn in experiments:
        params = inspect.signature(fn).parameters
        for name in SHARED_OPTIONS:
            assert name in params, f"{fn.__module__}.{fn.__name__} has no {name}="
            assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, (
                f"{fn.__module__}.{fn.__name__}: {name} must be keyword-only")


def _cli_imports(path: Path) -> set[str]:
    """The `sim.cli` modules a command-line module imports, at its top or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            if node.module == "sim.cli":
                out |= {f"sim.cli.{a.name}" for a in node.names}
    return {m for m in out if m.startswith("sim.cli.")}


def test_the_command_line_modules_import_each_other_without_a_circle() -> None:
    """One module per command, what they share in `sim.cli.common`, and `sim.cli.main` only
    registering them: no command imports `main` (or another module that imports it back). A
    bug: a command borrowing a private helper of another command's module, which grows back
    into the circle of lazy imports this layout removed."""
    graph = {f"sim.cli.{p.stem}": _cli_imports(p) for p in (ROOT / "sim" / "cli").glob("*.py")}
    for module, imports in graph.items():
        if module != "sim.cli.main":
            assert "sim.cli.main" not in imports, f"{module} imports sim.cli.main"

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import circle: {' -> '.join((*path, module))}"
        for other in graph.get(module, ()):
            visit(other, (*path, module))

    visit("sim.cli.main", ())


def test_importing_an_engine_does_not_import_the_whole_library() -> None:
    """`sim`'s API is imported on first use: a pool worker or a command that needs an engine
    does not pay for pandas and the experiments (the public API still resolves every name)."""
    import subprocess
    import sys

    code = ("import sys, sim.engines.agent; "
            "print('pandas' in sys.modules, 'sim.experiments.compare' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    assert out == ["False", "False"], out
    assert sim.compare_bets.__module__ == "sim.experiments.compare"


def _simpy_private_uses(source: str) -> list[str]:
    """Where `source` reaches past SimPy's public API: an import from inside simpy (anything
    but `import simpy`), an attribute of another object that starts with `_` (`env._now`,
    `event._value`, `simpy.events._x`), or one of SimPy's own private attribute names on any
    object (`self._queue` in a subclass of the environment)."""
    from collections.abc import Iterator

    import simpy

    env = simpy.Environment()

    def gen() -> Iterator[simpy.Event]:
        yield env.timeout(1)

    objects = [env, env.event(), env.timeout(1), env.process(gen()), simpy.Store(env),
               simpy.Resource(env), simpy.Container(env), env.all_of([]), env.any_of([])]
    private = {name for obj in objects for cls in type(obj).__mro__
               for name in [*vars(obj), *vars(cls)]
               if name.startswith("_") and not name.endswith("__")}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "simpy":
            found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import) and any(
                a.name.startswith("simpy.") or (a.name == "simpy" and a.asname)
                for a in node.names):
            found.append(f"line {node.lineno}: import {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not (
                node.attr.endswith("__")):
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not own or node.attr in private:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    for n, line in enumerate(source.splitlines(), 1):
        code = line.split("#", 1)[0]
        if re.search(r"\benv\._|\bsimpy(\.\w+)*\._", code):
            found.append(f"line {n}: {line.strip()}")
    return found


def test_the_agent_engine_uses_only_simpys_public_api() -> None:
    """The reference engine is the readable specification of the model, and any SimPy 4.x runs
    it (pyproject: simpy>=4.1,<5): no `_queue`, `_eid`, `_now`, `_value`, no private imports."""
    for rel in ("sim/engines/agent.py", "sim/cli/benchmarks.py"):  # and the bench's reference loop
        found = _simpy_private_uses((ROOT / rel).read_text())
        assert not found, f"{rel} reaches into SimPy's internals:\n" + "\n".join(found)


@pytest.mark.parametrize("snippet", [
    "t = env._now", "heappush(env._queue, x)", "e = next(self.env._eid)", "v = event._value",
    "from simpy.events import NORMAL", "import simpy.core", "class E(simpy.Environment):\n"
    "    def f(self):\n        return self._queue", "x = simpy.events._x",
])
def test_the_public_api_check_catches_internals(snippet: str) -> None:
    assert _simpy_private_uses(snippet)


def _engine_defaults(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of each engine chosen by a literal default: a parameter named `engine`
    whose default is a string, or a module constant `DEFAULT_ENGINE` set to one."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            positional = args.posonlyargs + args.args
            pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults,
                             strict=True))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                      if d is not None]
            found += [(d.lineno, f"{node.name}({a.arg}={ast.unparse(d)})") for a, d in pairs
                      if a.arg == "engine" and isinstance(d, ast.Constant)
                      and isinstance(d.value, str)]
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and any(
                isinstance(t, ast.Name) and t.id == "DEFAULT_ENGINE" for t in node.targets):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_default_engine_is_declared_once() -> None:
    """Catches a caller that picks its own default engine (`engine: str = "fast"`, a second
    `DEFAULT_ENGINE = "agent"`): the default lives in `sim.engines.DEFAULT_ENGINE` only, so
    changing it changes every command, page and experiment at once."""
    found = [f"{p.relative_to(ROOT)}:{n}: {text}" for p in _sources()
             if p.relative_to(ROOT).as_posix() != "sim/engines/__init__.py"
             for n, text in _engine_defaults(ast.parse(p.read_text()))]
    assert not found, "use sim.engines.DEFAULT_ENGINE:\n" + "\n".join(found)


@pytest.mark.parametrize("snippet", ['def f(engine: str = "fast"): ...',
                                     'def f(*, engine="agent"): ...', 'DEFAULT_ENGINE = "fast"'])
def test_the_default_engine_check_catches_literals(snippet: str) -> None:
    assert _engine_defaults(ast.parse(snippet))


# Conventions the engines share, each defined by one module: a second definition of the name
# (with or without a leading underscore) anywhere else is a copy that can drift.
OWNED_NAMES = {
    "LIFETIME_CAP_MONTHS": "models/compiled/value.py",
    "tail_value_at_anniversary": "models/compiled/value.py",
    "value_at_horizon": "models/compiled/value.py",
    "client_revenue_within": "models/compiled/value.py",
    "saturation_leads": "models/compiled/saturation.py",
    "chance_to_pay": "models/compiled/worth.py",
    "never_reached": "models/accounting/goal.py",
    "ROW": "sim/engines/randomness.py",
    "REFERRAL_STREAM": "sim/engines/randomness.py",
    **{f"SLOT_{n}": "sim/engines/randomness.py" for n in (
        "SEGMENT", "LOST", "INTEREST", "CLOSE", "DROP", "COMMITTEE", "TIER", "PAID", "PAY_DELAY",
        "ONBOARD", "CLIENT_SEED", "TOUCH")},
    **{n: "sim/engines/randomness.py" for n in (
        "K_LEADS", "K_ARRIVALS", "K_INITIAL", "K_CUSTOMER_BASE", "LEADS", "ARRIVALS", "INITIAL",
        "CUSTOMER_BASE")},
}


def _module_definitions(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, name) of each module-level function and each name assigned at module level (a
    tuple unpacked too), without leading underscores. A method of a class is not one (the
    agent engine's `_Run.value_at_horizon` calls the rule), nor the owner's function compiled
    (`_value_at_horizon = njit(...)(value_at_horizon)`)."""
    found: list[tuple[int, str]] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((node.lineno, node.name))
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        value = getattr(node, "value", None)
        wrapped = ({a.id for a in value.args if isinstance(a, ast.Name)}
                   if isinstance(value, ast.Call) else set())
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name) and name.id.lstrip("_") not in wrapped:
                    found.append((node.lineno, name.id))
    return [(n, name.lstrip("_")) for n, name in found]


def test_each_shared_convention_is_defined_by_its_owner_only() -> None:
    """Catches a second definition of an engine convention, e.g. the agent engine setting its
    own `LIFETIME_CAP_MONTHS` or `_SLOT_TOUCH` again, kept equal to the owner's by a comment
    until one of them changes."""
    found = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        for n, name in _module_definitions(ast.parse(path.read_text())):
            owner = OWNED_NAMES.get(name)
            if owner is not None and owner != rel:
                found.append(f"{rel}:{n}: {name} (defined in {owner})")
    assert not found, "import it from its owner:\n" + "\n".join(found)


@pytest.mark.parametrize("snippet", ["LIFETIME_CAP_MONTHS = 120", "_SLOT_TOUCH = 12",
                                     "_LEADS, _ARRIVALS = 1, 2",
                                     "def saturation_leads(b, m, h):\n    return m * b / (b + h)"])
def test_the_owner_check_catches_a_copy(snippet: str) -> None:
    names = {name for _, name in _module_definitions(ast.parse(snippet))}
    assert names & set(OWNED_NAMES)


def _saturation_formulas(tree: ast.AST) -> list[int]:
    """Lines of an expression `x * b / (b + h)` about a budget (a name in it says budget or
    half): the saturation curve written out. (Without the names the shape is common: a Beta
    mean is a / (a + b).)"""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
                and isinstance(node.right, ast.BinOp) and isinstance(node.right.op, ast.Add)):
            continue
        summands = {ast.dump(node.right.left), ast.dump(node.right.right)}
        top = node.left
        factors = ({ast.dump(top.left), ast.dump(top.right)}
                   if isinstance(top, ast.BinOp) and isinstance(top.op, ast.Mult)
                   else {ast.dump(top)})
        names = " ".join(n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node)
                         if isinstance(n, (ast.Name, ast.Attribute))).lower()
        if summands & factors and ("budget" in names or "half" in names):
            found.append(node.lineno)
    return found


def test_the_saturation_curve_is_written_once() -> None:
    """Catches the curve `max_leads * budget / (budget + half)` written out again (the workload
    estimate had its own copy): every leads-from-budget figure calls `saturation_leads`."""
    found = [f"{p.relative_to(ROOT)}:{n}" for p in _sources()
             if p.relative_to(ROOT).as_posix() != "models/compiled/saturation.py"
             for n in _saturation_formulas(ast.parse(p.read_text()))]
    assert not found, "use models.compiled.saturation.saturation_leads:\n" + "\n".join(found)


def test_the_saturation_check_catches_the_formula() -> None:
    assert _saturation_formulas(ast.parse("paid = top * budget / (budget + half)"))
    assert _saturation_formulas(ast.parse("n = ch.max_leads * b / (b + ch.half_saturation)"))
    assert not _saturation_formulas(ast.parse("mean = x * a / (a + b)"))


def _never_choices(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of each call of `month_or_never` whose 'never' is neither `math.inf` nor
    `never_reached(...)`: a caller choosing its own month for a goal never reached."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "month_or_never" and len(node.args) == 2):
            continue
        never = node.args[1]
        if isinstance(never, ast.Name):  # a local: find what it was set to
            sets = [n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == never.id for t in n.targets)]
            never = sets[0] if len(sets) == 1 else never
        ok = (ast.unparse(never) == "math.inf" or (isinstance(never, ast.Call)
              and isinstance(never.func, ast.Name) and never.func.id == "never_reached"))
        if not ok:
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_never_reached_is_chosen_by_one_function() -> None:
    """Catches a caller counting a goal never reached as its own month (horizon + 1 here,
    horizon there): paired differences of months to goal then disagree between commands."""
    found = [f"{p.relative_to(ROOT)}:{n}: {text}" for p in _sources()
             for n, text in _never_choices(ast.parse(p.read_text()))]
    assert not found, "use models.accounting.goal.never_reached:\n" + "\n".join(found)


def test_the_never_check_catches_a_literal_choice() -> None:
    assert _never_choices(ast.parse("month_or_never(v, self.horizon + 1)"))
    assert _never_choices(ast.parse("never = h + 1\nmonth_or_never(v, never)"))
    assert not _never_choices(ast.parse("never = never_reached(h)\nmonth_or_never(v, never)"))

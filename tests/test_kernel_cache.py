"""The fast engine's numba cache follows every source the kernel is made of
(`sim.engines.fast.jit`): numba's own check looks only at each function's file."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from sim.engines.fast import jit

ROOT = Path(__file__).resolve().parents[1]
FAST = ROOT / "sim" / "engines" / "fast"
KERNEL_MODULES = ("kernel", "booking", "clients", "leads", "queues", "random", "jit", "layout")


def test_the_cache_key_covers_every_module_the_kernel_reads() -> None:
    """Catches a kernel whose cache ignores a module it inlines: the column layout, the lead
    row's slots, the worth and tail-value rules and the units, and each kernel module."""
    sources = {p.relative_to(ROOT).as_posix() for p in jit.kernel_sources()}
    expected = {f"sim/engines/fast/{m}.py" for m in KERNEL_MODULES} | {
        "sim/engines/randomness.py", "models/compiled/worth.py", "models/compiled/value.py",
        "models/compiled/units.py", "models/accounting/ledger.py", "models/spec/limits.py"}
    assert expected <= sources, expected - sources
    # what is not compiled stays out (an edit to it, or to a word, need not compile the kernel
    # again: minutes on a fresh machine)
    assert not sources & {"sim/engines/fast/arrays.py", "sim/engines/fast/fill.py",
                          "sim/engines/agent.py", "models/spec/params.py",
                          "models/spec/messages.py", "models/spec/fields.py",
                          "models/words/formats.py"}


def test_an_edit_to_an_inlined_module_changes_the_cache_folder(tmp_path: Path) -> None:
    """Catches a key that misses a file's content: one byte changed in `worth.py` (inlined
    into the kernel, never compiled on its own) names a new cache folder."""
    sources = jit.kernel_sources()
    for path in sources:
        copy = tmp_path / path.relative_to(ROOT)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, copy)
    copies = [tmp_path / p.relative_to(ROOT) for p in sources]
    before = jit.source_key(copies, tmp_path)
    assert before == jit.source_key(sources)  # the key is of contents, not of where they are
    worth = tmp_path / "models" / "compiled" / "worth.py"
    worth.write_text(worth.read_text().replace("CADENCE_CONTACTS = 5", "CADENCE_CONTACTS = 6"))
    assert jit.source_key(copies, tmp_path) != before
    assert Path(jit.CACHE_DIR).name == f"kernel-{jit.source_key(sources)}"


def test_every_kernel_function_is_cached_in_the_keyed_folder() -> None:
    """Catches a kernel function compiled by a bare `njit(cache=True)`, which numba would cache
    next to its file, outside the keyed folder: only `jit.helper` compiles."""
    found = []
    for path in sorted(FAST.glob("*.py")):
        if path.name == "jit.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Name) and node.id in ("njit", "jit"):
                found.append(f"{path.name}:{node.lineno}")
    assert not found, "compile with sim.engines.fast.jit.helper:\n" + "\n".join(found)
    from sim.engines.fast import kernel

    assert kernel.run._cache._cache_path.startswith(jit.CACHE_DIR)

"""How the fast engine's functions are compiled (`helper`), and where numba caches them.

numba's on-disk cache checks the source file of each compiled function, not the modules it
inlines or calls (`layout`'s column numbers, `models.compiled.worth`'s rule, a sibling module's
helper): an edit there would leave a stale compiled kernel. So the kernel's cache lives in a
folder named by a hash of the source of every module the kernel imports, directly or not
(`kernel_sources`): any edit to one of them makes a new folder, and the kernel compiles again.
The folder is under `NUMBA_CACHE_DIR` if set, else under this package's `__pycache__`.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from numba import config as _numba_config
from numba import njit

_F = TypeVar("_F", bound=Callable[..., Any])
ROOT = Path(__file__).resolve().parents[3]  # the project folder (holding sim/ and models/)
ENTRY = "sim.engines.fast.kernel"
# numba sets its settings at run time: untyped
config: Any = _numba_config  # the module whose imports the kernel is made of


def _path_of(module: str) -> Path | None:
    """The source file of one of the project's modules (None for other libraries, and for a
    package's `__init__`: the kernel's modules import their siblings by name, and no package
    defines anything the kernel reads)."""
    if module.split(".")[0] not in ("sim", "models"):
        return None
    path = ROOT.joinpath(*module.split(".")).with_suffix(".py")
    return path if path.is_file() else None


def _imports(path: Path) -> list[str]:
    """The modules `path` imports when it runs (not those imported only for type checking)."""
    found = []
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names]  # a submodule, maybe
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


def kernel_sources(entry: str = ENTRY) -> list[Path]:
    """The source files of `entry` and of every project module it imports, directly or through
    another (what numba's compiled kernel may have read), in a stable order."""
    seen: dict[str, Path] = {}
    todo = [entry]
    while todo:
        module = todo.pop()
        path = _path_of(module)
        if module in seen or path is None:
            continue
        seen[module] = path
        todo += _imports(path)
    return sorted(seen.values())


def source_key(paths: list[Path], root: Path = ROOT) -> str:
    """A short hash of these files' names (relative to `root`) and contents."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """The folder of the kernel's numba cache for the current sources."""
    base = Path(config.CACHE_DIR) if config.CACHE_DIR else Path(__file__).parent / "__pycache__"
    return base / f"kernel-{source_key(kernel_sources())}"


CACHE_DIR = str(cache_dir())


@contextlib.contextmanager
def _caching_in(folder: str) -> Iterator[None]:
    """numba's cache folder while a function is decorated (its cache locator reads the folder
    then), and the user's setting again after."""
    before = config.CACHE_DIR
    config.CACHE_DIR = folder
    try:
        yield
    finally:
        config.CACHE_DIR = before


def helper(inline: bool = False, refcount: bool = False) -> Callable[[_F], _F]:
    """numba's decorator of the kernel's functions, cached on disk in `CACHE_DIR`.

    Parameters
    ----------
    inline
        Inlined into the caller by numba.
    refcount
        Compiled with the runtime's reference counting: only for a function that allocates
        (`kernel.run`). The others allocate nothing and are compiled without it
        (`_nrt=False`), so passing arrays costs no atomic increments and decrements (they were
        nearly half of a replication's time).

    Returns
    -------
    Callable
        The decorator.
    """
    options: dict[str, Any] = {"cache": True}
    if inline:
        options["inline"] = "always"
    if not refcount:
        options["_nrt"] = False

    def decorate(function: _F) -> _F:
        with _caching_in(CACHE_DIR):
            return njit(**options)(function)  # type: ignore[no-any-return]

    return decorate

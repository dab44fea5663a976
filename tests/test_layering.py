"""The package's layering: nothing imports a higher layer, and no two packages import each other.

Every module under ``audiogan/`` is parsed with ``ast``; an import anywhere in it counts, at module level,
inside a function (a lazy import is still a dependency: lazy imports are how the old
tasks -> inference -> train.checkpoint -> tasks cycle hid) or under ``if TYPE_CHECKING``, and so does a
string constant that names an audiogan module (the ``"audiogan.tasks.toy:ToyGANTask"`` registries that
``importlib`` imports). A module may import its own layer or any lower one.

=====  =====================================================================================================
layer  units (``audiogan.<unit>``) and why they sit there
=====  =====================================================================================================
0      ``audiogan`` (the version), ``errors``, ``config``, ``audio``, ``paths``, ``nn`` (blocks and losses),
       ``checkpoint`` (the file format), ``devices`` (device names), ``pretrained`` (data only: names and
       paths of the shipped checkpoints, no loading), ``jobs`` (the process pool of per-file jobs: feature
       extraction and scoring both use it)
1      ``models`` (networks and the family registry), ``train`` (trainer, task contract), ``data``,
       ``features``, ``plots`` (draws audio; imports only ``audio``, so anything from here up may draw)
2      ``tasks`` (training recipes per family), ``inference`` (loading and running trained models),
       ``metrics``, ``report`` (the listening page: uses ``metrics`` and ``plots``)
3      ``cli``, ``__main__``
=====  =====================================================================================================

Known exceptions: none. If one ever cannot be fixed cleanly, add it to ``ALLOWED`` with the reason.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "audiogan"

LAYERS: dict[str, int] = {
    "audiogan": 0, "errors": 0, "config": 0, "audio": 0, "paths": 0, "nn": 0, "checkpoint": 0, "devices": 0,
    "dsp": 0, "pretrained": 0, "jobs": 0,
    "models": 1, "train": 1, "data": 1, "features": 1, "plots": 1,
    "tasks": 2, "inference": 2, "metrics": 2, "report": 2,
    "cli": 3, "__main__": 3,
}  # fmt: skip

# (importing module, imported module) pairs allowed to break the rule, each with its reason. Keep it empty.
ALLOWED: dict[tuple[str, str], str] = {}

_MODULE_STRING = re.compile(r"audiogan(?:\.\w+)+(?::\w+)?")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def unit(module: str) -> str:
    """``audiogan.train.checkpoint`` -> ``train``; the package itself -> ``audiogan``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _resolve(name: str) -> str:
    """The deepest existing module that ``name`` (a module, or a module plus attribute) refers to."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def imports_of(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """``(line, imported audiogan module)`` for every import anywhere in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                pkg = module.split(".") if is_package else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([base] if base else []))
            # `from audiogan.train import checkpoint` imports the module audiogan.train.checkpoint
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _MODULE_STRING.fullmatch(node.value):  # "audiogan.tasks.toy:ToyGANTask" for importlib
                found.append((node.lineno, node.value.split(":")[0]))
    return [(line, _resolve(name)) for line, name in found if name.split(".")[0] == "audiogan"]


def _edges() -> list[tuple[str, int, str, str]]:
    """``(file, line, importer, imported)`` over the whole package."""
    out = []
    for module, path in MODULES.items():
        rel = str(path.relative_to(ROOT))
        for line, target in imports_of(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
            out.append((rel, line, module, target))
    return out


EDGES = _edges()


def test_the_scanner_sees_lazy_and_string_imports():
    src = (
        "import audiogan.audio\n"
        "from audiogan.errors import AudioGanError\n"
        "def f():\n"
        "    from audiogan.train import checkpoint\n"
        "    from . import denoise\n"
        "REGISTRY = {'toy': 'audiogan.tasks.toy:ToyGANTask'}\n"
        "DOC = 'see audiogan.cli for details'\n"
    )
    got = {name for _, name in imports_of(src, "audiogan.inference.loading")}
    assert got == {
        "audiogan.audio", "audiogan.errors", "audiogan.train.checkpoint", "audiogan.inference.denoise",
        "audiogan.tasks.toy",
    }  # fmt: skip


def test_every_unit_has_a_layer():
    missing = sorted({unit(m) for m in MODULES} - set(LAYERS))
    assert not missing, f"place these in the LAYERS table of {Path(__file__).name}: {missing}"


def test_nothing_imports_a_higher_layer():
    bad = []
    for rel, line, src, dst in EDGES:
        a, b = unit(src), unit(dst)
        if LAYERS.get(b, -1) > LAYERS.get(a, 99) and (src, dst) not in ALLOWED:
            bad.append(f"{rel}:{line}: {src} (layer {LAYERS[a]}: {a}) imports {dst} (layer {LAYERS[b]}: {b})")
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_no_import_cycle_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], str] = {}
    for rel, line, src, dst in EDGES:
        a, b = unit(src), unit(dst)
        if a != b and (src, dst) not in ALLOWED:
            graph[a].add(b)
            where.setdefault((a, b), f"{rel}:{line} imports {dst}")
    cycles = [cyc for c in _strongly_connected(graph) if len(c) > 1 for cyc in _cycles(graph, c)]
    detail = [" -> ".join(c) + " (" + "; ".join(where[e] for e in zip(c, c[1:])) + ")" for c in cycles]
    assert not cycles, "packages that import each other:\n" + "\n".join(detail)


def _cycles(graph: dict[str, set[str]], component: set[str]) -> list[list[str]]:
    """For each unit of a strongly connected ``component``, a shortest closed path through it
    (``[a, b, ..., a]``), without repeats."""
    found: dict[tuple[str, ...], list[str]] = {}
    for start in sorted(component):
        paths, seen = [[start]], {start}
        while paths:
            path = paths.pop(0)
            nxt = [w for w in sorted(graph[path[-1]]) if w in component]
            if start in nxt:
                k = path.index(min(path))
                found.setdefault(tuple(sorted(path)), path[k:] + path[:k] + [min(path)])
                break
            for w in nxt:
                if w not in seen:
                    seen.add(w)
                    paths.append(path + [w])
    return list(found.values())


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            out.append(comp)

    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def _closure(start: str) -> set[str]:
    graph: dict[str, set[str]] = defaultdict(set)
    for _, _, src, dst in EDGES:
        graph[src].add(dst)
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += graph[m]
            # importing a submodule runs its packages' __init__ first
            todo += [".".join(m.split(".")[:i]) for i in range(1, m.count(".") + 1)]
    return seen


@pytest.mark.parametrize("module", ["audiogan.inference.loading", "audiogan.models.registry"])
def test_loading_for_inference_needs_neither_train_nor_tasks(module):
    reached = {unit(m) for m in _closure(module)}
    assert not reached & {"train", "tasks", "cli"}, sorted(reached)


def test_every_task_has_a_model_family():
    from audiogan.models import FAMILIES, INFERENCE_NETWORKS
    from audiogan.tasks import TASKS

    assert set(FAMILIES) == set(TASKS)
    assert set(INFERENCE_NETWORKS) <= set(FAMILIES)


def test_a_builtin_loads_without_importing_train_or_tasks():
    from audiogan.pretrained import BUILTINS, DEFAULTS

    if DEFAULTS["segan"] not in BUILTINS:
        pytest.skip("no built-in SEGAN in this install")
    code = (
        "import sys\n"
        "from audiogan.inference.loading import load_segan_model\n"
        "from audiogan.pretrained import resolve_model\n"
        "m = load_segan_model(resolve_model(None, 'segan'))\n"
        "assert m.window > 0 and m.generator is not None\n"
        "print(sorted({n.split('.')[1] for n in sys.modules if n.startswith('audiogan.')}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    units = set(ast.literal_eval(out.stdout.strip().splitlines()[-1]))
    assert not units & {"train", "tasks", "cli"}, sorted(units)


def test_no_import_cycle_between_modules():
    """Within a package too: a circle between modules (kept alive only by lazy imports) is a defect."""
    graph: dict[str, set[str]] = defaultdict(set)
    for _, _, src, dst in EDGES:
        if src != dst and (src, dst) not in ALLOWED:
            graph[src].add(dst)
    cycles = [cyc for c in _strongly_connected(graph) if len(c) > 1 for cyc in _cycles(graph, c)]
    assert not cycles, "modules that import each other:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize(
    "module", ["audiogan.checkpoint", *sorted(m for m in MODULES if unit(m) == "train")]
)
def test_the_checkpoint_format_and_the_trainer_know_no_model_family(module):
    reached = {unit(m) for m in _closure(module)}
    assert not reached & {"models", "tasks", "inference", "cli"}, sorted(reached)


MAX_MODULE_LINES = 420


def test_no_module_is_over_420_lines():
    """One file, one job: a module past this has more than one."""
    lines = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    long = {m: n for m, n in lines.items() if n > MAX_MODULE_LINES}
    assert not long, f"split these (> {MAX_MODULE_LINES} lines): {long}"

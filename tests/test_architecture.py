"""The package's house rules: rooms in layers, imports pointing down, no circles.

Every import statement of every module is read from its syntax tree, the ones inside functions
(lazy imports) included, and so are ``importlib.import_module("gan_course....")`` calls and
string constants naming a module of the package (a lazy table such as ``gc.style``'s). The
layers are the ones docs/architecture.md lists.
"""

import ast
import pathlib
import re

import pytest

import gan_course

PACKAGE = pathlib.Path(gan_course.__file__).parent

# Lowest first. A module may import its own layer and the layers below it, never above.
LAYERS = (
    ("foundations", ("gan_course.gpu", "gan_course.losses", "gan_course.theory", "gan_course.viz",
                     "gan_course.diagrams")),
    ("settings and data", ("gan_course.config", "gan_course.data")),
    ("measures", ("gan_course.metrics",)),
    ("art", ("gan_course.art",)),
    ("models", ("gan_course.models",)),
    ("training", ("gan_course.callbacks", "gan_course.runs")),
    ("widgets", ("gan_course.widgets",)),
    ("checks", ("gan_course.checks",)),
    ("tools", ("gan_course.classroom", "gan_course.doctor", "gan_course.cli", "gan_course")),
)
MAX_LINES = 450
MODULE_PATH = re.compile(r"gan_course(\.\w+)+")  # a whole dotted name, not an f-string's start
MAX_TOP_MODULES = 12


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules():
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name, known):
    """The package module a dotted name refers to: itself, or its longest known prefix."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(path, known):
    """The package modules that the module at ``path`` imports, anywhere in its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from gan_course import data`` imports the module gan_course.data
            names = [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and MODULE_PATH.fullmatch(node.value):
            names = [node.value]
        found |= {_resolve(n, known) for n in names if n.startswith("gan_course")}
    return found - {None}


def import_graph():
    modules = all_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def layer_of(module):
    """The index of the layer whose longest prefix names ``module``, or None."""
    matches = [(len(prefix), index) for index, (_, prefixes) in enumerate(LAYERS)
               for prefix in prefixes if module == prefix or module.startswith(prefix + ".")]
    return max(matches)[1] if matches else None


def circles(graph):
    """Every import circle of ``graph`` ({module: modules it imports}), each as a list of the
    modules on it (Tarjan's strongly connected components)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def upward_imports(graph):
    """``(importer, imported)`` pairs where a lower layer imports a higher one, and modules in no
    layer (each reported as ``(module, None)``)."""
    bad = [(m, None) for m in graph if layer_of(m) is None]
    for module, targets in graph.items():
        for target in targets:
            if layer_of(module) is not None and layer_of(target) is not None \
                    and layer_of(target) > layer_of(module):
                bad.append((module, target))
    return sorted(bad, key=str)


def sideways_imports(graph):
    """Imports between neighbours that must not know each other: one widget family into another
    (shared pieces live in ``widgets.common``), one model into another. A model's own further
    modules (``cyclegan_quality`` for ``cyclegan``) may import it."""
    rooms = {"gan_course.widgets": {"common"},
             "gan_course.models": {"base", "blocks", "registry", "shipped", "tiles"}}
    bad = []
    for module, targets in graph.items():
        for room, shared in rooms.items():
            own = module.rpartition(".")[2]
            if module.startswith(room + ".") and own not in shared:
                bad += [(module, t) for t in targets if t.startswith(room + ".")
                        and t.rpartition(".")[2] not in shared and t != module
                        and not own.startswith(t.rpartition(".")[2] + "_")
                        and not t.rpartition(".")[2].startswith(own + "_")]
    return sorted(bad)


def test_the_package_has_no_import_circles():
    assert circles(import_graph()) == []


def test_imports_point_down_the_layers():
    assert upward_imports(import_graph()) == []


def test_widget_families_and_models_do_not_import_their_neighbours():
    assert sideways_imports(import_graph()) == []


def test_a_circle_or_an_upward_import_is_caught():
    graph = import_graph()
    assert graph["gan_course.art.images"] >= {"gan_course.data"}
    # data importing the art room would close a circle and point upward
    broken = {**graph, "gan_course.data": graph["gan_course.data"] | {"gan_course.art.images"}}
    assert ["gan_course.art.images", "gan_course.data"] in circles(broken)
    assert ("gan_course.data", "gan_course.art.images") in upward_imports(broken)
    lazy = {**graph, "gan_course.config": graph["gan_course.config"] | {"gan_course.models.registry"}}
    assert any("gan_course.config" in c for c in circles(lazy))
    sideways = {**graph, "gan_course.widgets.latent": {"gan_course.widgets.class_picker"}}
    assert sideways_imports(sideways) == [("gan_course.widgets.latent",
                                           "gan_course.widgets.class_picker")]


def test_lazy_imports_are_read_too(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from gan_course import runs\n"
                      "    importlib.import_module('gan_course.art.style')\n")
    assert imports_of(source, all_modules()) == {"gan_course.runs", "gan_course.art.style"}


@pytest.mark.parametrize("name", sorted(all_modules()))
def test_no_module_is_too_long(name):
    lines = all_modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it (docs/architecture.md)"


def test_the_top_floor_holds_the_core_only():
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert len(top) <= MAX_TOP_MODULES, top
    rooms = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert rooms == ["art", "checks", "classroom", "models", "widgets"]


def test_the_architecture_doc_names_every_room_and_top_module():
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name in all_modules():
        short = name.removeprefix("gan_course.").replace(".", "/")
        if name != "gan_course" and not short.startswith("checks/lesson"):
            assert pathlib.PurePosixPath(short).name in doc, f"{name} is not in architecture.md"

"""The package's shape (issue 41): small modules and functions, a layered import graph, one home per task.

Read from the source with `ast`, nothing imported:
- no module of lorakit/ over MAX_MODULE_LINES lines, no function over MAX_FUNCTION_LINES;
- no import cycle among lorakit's modules, nor among benchmarks/'s (function-local imports count: a
  cycle is a cycle whether it runs at import time or at the first call);
- at most MAX_TASK_LOOKUPS places outside lorakit/tasks/ that turn a task name into a task
  (`get_task(...)`, `as_task(...)`, `make_task(name, ...)`, `TASKS[...]`, `TASKS.get(...)`): the task
  is built once and passed on;
- no branch on a task's name (`task == "chat"`, `config.task in ("ner", "qa")`) outside lorakit/tasks/.
"""
import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lorakit"
BENCHMARKS = ROOT / "benchmarks"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
MAX_TASK_LOOKUPS = 2
TASK_NAMES = {"sentiment", "ner", "qa", "chat"}
# lorakit.tasks's functions from a name to a task (`make_task(name, options)` too, but not a config's
# `config.make_task()`, which is the run's task built from its options)
LOOKUPS = {"get_task", "as_task", "task_class"}


def module_name(path, root=ROOT):
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package=PACKAGE):
    """{dotted name: (path, parsed tree)} of every module of `package`."""
    return {module_name(p): (p, ast.parse(p.read_text(), str(p))) for p in sorted(package.rglob("*.py"))}


def relative(path):
    return str(path.relative_to(ROOT))


def long_modules(found):
    return [f"{relative(p)}: {len(p.read_text().splitlines())} lines" for p, _ in found.values()
            if len(p.read_text().splitlines()) > MAX_MODULE_LINES]


def long_functions(found):
    """Functions and methods over the limit, nested ones included, counted from `def` to the last line."""
    out = []
    for path, tree in found.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                lines = node.end_lineno - first + 1
                if lines > MAX_FUNCTION_LINES:
                    out.append(f"{relative(path)}:{node.lineno} {node.name}: {lines} lines")
    return out


def imported(name, path, tree, known):
    """The modules of `known` that module `name` imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


def import_graph(found):
    """{module: the lorakit modules it imports}; importing `a.b` also runs `a/__init__`, left out here
    (a package's __init__ re-exporting its children is not an arrow back)."""
    return {name: imported(name, path, tree, found) for name, (path, tree) in found.items()}


def find_cycle(graph):
    """One cycle of `graph` as a list of nodes, first node repeated at the end; None when there is none.

    >>> find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}})
    ['a', 'b', 'c', 'a']
    >>> find_cycle({"a": {"b"}, "b": set()}) is None
    True
    """
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def all_cycles(graph):
    """Cycles of `graph`, found one at a time, each broken at its last arrow before looking again."""
    graph = {k: set(v) for k, v in graph.items()}
    cycles = []
    while (cycle := find_cycle(graph)) is not None:
        cycles.append(" -> ".join(cycle))
        graph[cycle[-2]].discard(cycle[-1])
    return cycles


def outside_tasks(found):
    return {n: v for n, v in found.items() if not n.startswith("lorakit.tasks")}


def task_lookups(found):
    """Where code outside lorakit/tasks/ turns a task's name into a task."""
    out = []
    for path, tree in outside_tasks(found).values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
                owner = f.value if isinstance(f, ast.Attribute) else None
                if name in LOOKUPS or (name == "make_task" and not isinstance(f, ast.Attribute)) \
                        or (name == "get" and _is_tasks(owner)):
                    out.append(f"{relative(path)}:{node.lineno}")
            elif isinstance(node, ast.Subscript) and _is_tasks(node.value):
                out.append(f"{relative(path)}:{node.lineno}")
    return out


def _is_tasks(node):
    return (isinstance(node, ast.Name) and node.id == "TASKS") or \
        (isinstance(node, ast.Attribute) and node.attr == "TASKS")


def task_branches(found):
    """Comparisons of something with a task's name (`== "ner"`, `in ("qa", "chat")`) outside lorakit/tasks/."""
    out = []
    for path, tree in outside_tasks(found).values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(_names_task(side) for side in [node.left] + node.comparators):
                out.append(f"{relative(path)}:{node.lineno} {ast.unparse(node)}")
    return out


def _names_task(node):
    if isinstance(node, ast.Constant):
        return node.value in TASK_NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(isinstance(e, ast.Constant) and e.value in TASK_NAMES for e in node.elts)
    return False


@functools.lru_cache(maxsize=None)
def lorakit_modules():
    return modules()


def report(what, found):
    return f"{len(found)} {what}:\n  " + "\n  ".join(found)


def test_no_module_over_the_limit():
    package = lorakit_modules()
    found = long_modules(package)
    assert not found, report(f"modules over {MAX_MODULE_LINES} lines", found)


def test_no_function_over_the_limit():
    package = lorakit_modules()
    found = long_functions(package)
    assert not found, report(f"functions over {MAX_FUNCTION_LINES} lines", found)


def test_no_import_cycle():
    package = lorakit_modules()
    found = all_cycles(import_graph(package))
    assert not found, report("import cycles (each shown once, broken at its last arrow)", found)


def test_no_import_cycle_in_the_benchmarks():
    found = all_cycles(import_graph(modules(BENCHMARKS)))
    assert not found, report("import cycles in benchmarks/", found)


def test_task_built_from_its_name_in_few_places():
    package = lorakit_modules()
    found = task_lookups(package)
    assert len(found) <= MAX_TASK_LOOKUPS, report("look-ups of a task by its name outside lorakit/tasks/", found)


def test_no_branch_on_a_task_name_outside_tasks():
    package = lorakit_modules()
    found = task_branches(package)
    assert not found, report("branches on a task name outside lorakit/tasks/", found)


def test_the_checks_can_fail(tmp_path):
    """Each check finds what it is made to find, on a small package written here."""
    pkg = tmp_path / "lorakit"
    (pkg / "tasks").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "tasks" / "__init__.py").write_text("def get_task(name):\n    return name\n")
    (pkg / "a.py").write_text("from . import b\n" + "\n" * MAX_MODULE_LINES)
    (pkg / "b.py").write_text("def f(task):\n    from .a import x\n    if task == 'chat':\n"
                              + "        pass\n" * MAX_FUNCTION_LINES
                              + "    return get_task(task), TASKS[task], TASKS.get(task)\n")
    found = {module_name(p, tmp_path): (p, ast.parse(p.read_text())) for p in pkg.rglob("*.py")}
    global ROOT
    root, ROOT = ROOT, tmp_path
    try:
        assert [m.split(":")[0] for m in long_modules(found)] == ["lorakit/a.py"]
        assert [f.split(" ")[1] for f in long_functions(found)] == ["f:"]
        assert all_cycles(import_graph(found)) == ["lorakit.a -> lorakit.b -> lorakit.a"]
        assert len(task_lookups(found)) == 3
        assert len(task_branches(found)) == 1
    finally:
        ROOT = root

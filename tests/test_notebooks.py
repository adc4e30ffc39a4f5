"""Every notebook runs top to bottom in fast mode, and is committed clean.

One test per `notebooks/*.ipynb` (a new notebook joins automatically): it is executed with a real
IPython kernel through nbclient, from the notebooks/ folder, with LORAKIT_FAST=1 and HF_HUB_OFFLINE=1,
so a notebook that raises, or whose checks (asserts) fail, fails its test (see `course_env` for the
thread setting). Executed copies are never
written back. Other tests check what is committed: no outputs, no execution counts, no widget state,
and the layout every notebook shares (Colab badge, one setup cell). Runnable exercise solutions
(`solutions/*.py`) are executed too.

Run one notebook: pytest tests/test_notebooks.py -k 02_lora
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.py"))
CELL_TIMEOUT = 600  # seconds per cell

SETUP_CELL = '''\
# Setup: on Colab this installs lorakit and what this lesson needs (keeping Colab's own torch); elsewhere nothing.
import os, sys
if "google.colab" in sys.modules:
    REPO = os.environ.get("LORAKIT_REPO", "https://github.com/lorakit/lorakit")
    %pip install -q "lorakit @ git+$REPO"
'''
# After the pip line: the lesson's extras (lorakit.extras), if it needs any, then `import lorakit`.
SETUP_TAIL = re.compile(r'(    import lorakit\.extras\n    lorakit\.extras\.install\("\w+"(, "\w+")*\)\n)?import lorakit$')
BADGE = ("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
         "(https://colab.research.google.com/github/lorakit/lorakit/blob/main/notebooks/{name})")


def course_env():
    """The environment of a CI run: fast mode, no network, and this checkout's lorakit importable.

    One CPU thread per kernel unless OMP_NUM_THREADS says otherwise: on a shared machine, where other
    processes hold the cores, torch's OpenMP threads wait on each other and a training step of the
    bundled BERT measured 0.13 s on one thread against 3.8 s on two. On an idle machine one thread
    costs little at these sizes.
    """
    env = dict(os.environ, LORAKIT_FAST="1", HF_HUB_OFFLINE="1")
    env.setdefault("OMP_NUM_THREADS", "1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("JPY_PARENT_PID", None)
    return env


def read(path):
    return nbformat.read(path, as_version=4)


def ids(paths):
    return [p.stem for p in paths]


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_runs_top_to_bottom(path, monkeypatch):
    nb = read(path)
    for key, value in course_env().items():
        monkeypatch.setenv(key, value)  # the kernel inherits this process's environment
    execute(nb, NOTEBOOK_DIR, path.name)


def execute(nb, folder, label):
    """Run every cell of `nb` with `folder` as the working directory; a failing cell fails the test."""
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False,
                                     resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{label} failed:\n{e}", pytrace=False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_is_committed_clean(path):
    nb = read(path)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata, f"{path.name}: widget state in the notebook metadata"
    for i, cell in enumerate(nb.cells):
        where = f"{path.name}, cell {i}"
        assert "widgets" not in cell.get("metadata", {}), f"{where}: widget state in cell metadata"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{where}: has outputs; clear them before committing"
            assert cell.execution_count is None, f"{where}: has an execution count; clear it"
            assert "execution" not in cell.metadata, f"{where}: has execution timings in its metadata"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_layout(path):
    """Colab badge and title first, then the one setup cell, as every notebook of the course."""
    nb = read(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown", f"{path.name}: the first cell must be markdown"
    assert BADGE.format(name=path.name) in first.source, f"{path.name}: no Colab badge for this file"
    assert "\n# " in "\n" + first.source, f"{path.name}: the first cell has no title"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and code[0].source.startswith(SETUP_CELL), f"{path.name}: the first code cell must be the setup cell"
    assert SETUP_TAIL.fullmatch(code[0].source[len(SETUP_CELL):]), f"{path.name}: the setup cell ends oddly"
    assert sum(SETUP_CELL in c.source for c in code) == 1, f"{path.name}: more than one setup cell"


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_solution_script_runs(path):
    env = dict(course_env(), MPLBACKEND="agg")  # a script has no screen to draw on
    result = subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=CELL_TIMEOUT)
    assert result.returncode == 0, f"{path.name} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"

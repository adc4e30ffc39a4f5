"""Where training runs and in which precision, decided in one place.

CUDA if there is a GPU, else Apple's MPS, else the CPU. On CUDA, mixed precision follows the compute
capability: bf16 from 8.0 (A100, L4, H100), fp16 with gradient scaling below it (T4, V100). We decide
by capability rather than `torch.cuda.is_bf16_supported()`, which answers yes on a T4 where bf16 is
emulated and slow. On a CPU, "auto" picks bf16 autocast only where the CPU computes bf16 natively
(Intel AMX or AVX512-BF16): on an Intel CPU with AMX a bf16 LoRA step took 0.84 of the fp32 step on
MiniLM and 0.65 on SmolLM2-135M (as issue 20 reports; not measured on this course's AMD machines);
elsewhere bf16 is emulated and slower (13.9x on MiniLM here, `benchmarks/bench.py --bf16 on`), so
"auto" keeps fp32. The LoRA weights themselves stay in float32; autocast only lowers the matmuls.

Example:
    >>> select_precision("cuda", capability=(7, 5)), select_precision("cuda", capability=(9, 0))
    ('fp16', 'bf16')
    >>> select_precision("cpu", native_bf16=False), select_precision("cpu", native_bf16=True)
    ('fp32', 'bf16')
"""
from pathlib import Path

import torch

from .errors import ConfigError

PRECISIONS = ("auto", "fp32", "fp16", "bf16")
NATIVE_BF16_FLAGS = {"amx_bf16", "avx512_bf16"}   # /proc/cpuinfo flags of CPUs that compute bf16


def cpu_flags(cpuinfo="/proc/cpuinfo"):
    """The CPU's feature flags (Linux's /proc/cpuinfo); an empty set where that file does not exist."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return set()
    line = next((l for l in text.splitlines() if l.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def has_native_bf16(flags=None):
    """True when the CPU computes bf16 in hardware (AMX or AVX512-BF16), so bf16 autocast can pay.

    >>> has_native_bf16({"avx2", "amx_bf16"}), has_native_bf16({"avx2", "avx512f"})
    (True, False)
    """
    return bool(NATIVE_BF16_FLAGS & (cpu_flags() if flags is None else set(flags)))


def select_device(prefer="auto") -> str:
    """"cuda", "mps" or "cpu": the best available when `prefer` is "auto", else `prefer` checked."""
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()}
    if prefer == "auto":
        return next(d for d in ("cuda", "mps", "cpu") if available[d])
    if prefer not in available:
        raise ConfigError(f"--device {prefer!r} is not one of auto, cuda, mps, cpu")
    if not available[prefer]:
        raise ConfigError(f"--device {prefer}: no such device on this machine (use auto or cpu)")
    return prefer


def select_precision(device, requested="auto", capability=None, native_bf16=None) -> str:
    """The precision of a run on `device`: "fp32", "fp16" or "bf16" (autocast for the last two).

    `capability` is the CUDA compute capability (major, minor), read from the GPU by default;
    `native_bf16` says whether the CPU computes bf16 natively, read from the CPU by default.
    """
    if requested not in PRECISIONS:
        raise ConfigError(f"--precision {requested!r} is not one of {', '.join(PRECISIONS)}")
    if device == "cpu":
        if requested == "fp16":
            raise ConfigError("--precision fp16 needs a CUDA GPU; on a CPU use bf16 or fp32")
        native = has_native_bf16() if native_bf16 is None else native_bf16
        return ("bf16" if native else "fp32") if requested == "auto" else requested
    if device != "cuda":
        if requested in ("fp16", "bf16"):
            raise ConfigError(f"--precision {requested} needs a CUDA GPU or a CPU; this run is on {device}")
        return "fp32"
    capability = capability or torch.cuda.get_device_capability()
    if requested == "bf16" and capability < (8, 0):
        raise ConfigError(f"--precision bf16 needs compute capability 8.0 or newer; this GPU has "
                          f"{capability[0]}.{capability[1]} (use fp16)")
    if requested != "auto":
        return requested
    return "bf16" if capability >= (8, 0) else "fp16"


def accelerate_precision(precision):
    """accelerate's name for a precision: "no" for fp32, else the same.

    >>> accelerate_precision("fp32"), accelerate_precision("bf16")
    ('no', 'bf16')
    """
    return "no" if precision == "fp32" else precision


def training_attention(device, precision):
    """The attention implementation to train with: "eager" on a CPU in bf16, else None (the model's
    own, PyTorch's fused `scaled_dot_product_attention`).

    On a CPU in bf16, torch's fused attention is slow backward (7.7 ms against 1.2 ms forward for a
    batch of SmolLM2 conversations); plain matmuls and a softmax train faster: measured on the 2-core
    Xeon, steps took 10% less time on chat conversations, 27% on QA (MiniLM, 384 tokens), 3-5% on
    sentiment and NER. In fp32 the fused kernel is as fast or faster, so it stays.

    >>> training_attention("cpu", "bf16"), training_attention("cpu", "fp32"), training_attention("cuda", "bf16")
    ('eager', None, None)
    """
    return "eager" if device == "cpu" and precision == "bf16" else None


def describe_device(device=None) -> str:
    """One line for notebooks and logs, e.g. 'cuda: Tesla T4 (compute 7.5), fp16'."""
    device = device or select_device()
    if device == "cuda":
        major, minor = torch.cuda.get_device_capability()
        name = torch.cuda.get_device_name()
        return f"cuda: {name} (compute {major}.{minor}), {select_precision('cuda')}"
    if device == "cpu":
        bf16 = "native bf16" if has_native_bf16() else "no native bf16"
        return f"cpu: {torch.get_num_threads()} threads, {bf16}, {select_precision('cpu')}"
    return f"{device}: {torch.get_num_threads()} threads, fp32"

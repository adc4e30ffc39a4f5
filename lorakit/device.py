"""Where training runs and in which precision, decided in one place.

CUDA if there is a GPU, else Apple's MPS, else the CPU. On CUDA, mixed precision follows the compute
capability: bf16 from 8.0 (A100, L4, H100), fp16 with gradient scaling below it (T4, V100). We decide
by capability rather than `torch.cuda.is_bf16_supported()`, which answers yes on a T4 where bf16 is
emulated and slow. The LoRA weights themselves stay in float32; autocast only lowers the matmuls.

Example:
    >>> select_precision("cuda", capability=(7, 5)), select_precision("cuda", capability=(9, 0))
    ('fp16', 'bf16')
    >>> select_precision("cpu")
    'no'
"""
import torch

from .errors import ConfigError

PRECISIONS = ("auto", "no", "fp16", "bf16")


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


def select_precision(device, requested="auto", capability=None) -> str:
    """The mixed-precision mode for `device`: "no", "fp16" or "bf16".

    `capability` is the CUDA compute capability (major, minor); by default it is read from the GPU.
    """
    if requested not in PRECISIONS:
        raise ConfigError(f"--precision {requested!r} is not one of {', '.join(PRECISIONS)}")
    if device != "cuda":
        if requested in ("fp16", "bf16"):
            raise ConfigError(f"--precision {requested} needs a CUDA GPU; this run is on {device}")
        return "no"
    capability = capability or torch.cuda.get_device_capability()
    if requested == "bf16" and capability < (8, 0):
        raise ConfigError(f"--precision bf16 needs compute capability 8.0 or newer; this GPU has "
                          f"{capability[0]}.{capability[1]} (use fp16)")
    if requested != "auto":
        return requested
    return "bf16" if capability >= (8, 0) else "fp16"


def describe_device(device=None) -> str:
    """One line for notebooks and logs, e.g. 'cuda: Tesla T4 (compute 7.5), fp16'."""
    device = device or select_device()
    if device == "cuda":
        major, minor = torch.cuda.get_device_capability()
        name = torch.cuda.get_device_name()
        return f"cuda: {name} (compute {major}.{minor}), {select_precision('cuda')}"
    return f"{device}: {torch.get_num_threads()} threads, float32"

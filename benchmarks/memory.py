"""Memory of a training step: counted bytes (weights, optimizer state) and the measured peak.

On CUDA the peak comes from torch.cuda.max_memory_allocated. On the CPU torch keeps no such counter,
and the RSS mostly shows what malloc kept from earlier steps, so we record every tensor allocation and
free during one step with torch.profiler (profile_memory=True) and take the peak of their running
sum. That needs the profiler's event tree, a private torch API; `_cpu_allocations` is the only
function that touches it. If a torch version moves or changes it, that function warns and returns
None, and the peak is reported as None ("n/a" in the report) instead of failing the run.

Example:
    >>> import torch
    >>> tensor_bytes([torch.zeros(2, 3), torch.zeros(4, dtype=torch.int64)])   # 6 * 4 + 4 * 8
    56
    >>> step_peak_bytes(lambda: torch.ones(256, 1024) * 2, torch.device("cpu")) >= 2 * 2**20
    True
"""
import contextlib
import os
import sys
import warnings

import torch

from .timing import sync


def tensor_bytes(tensors):
    """Bytes held by the tensors (numel x element size); see the module docstring."""
    return sum(t.numel() * t.element_size() for t in tensors)


def optimizer_state_bytes(optimizer):
    """Bytes of every tensor AdamW keeps (exp_avg, exp_avg_sq, step) after at least one step.

    >>> p = torch.nn.Parameter(torch.zeros(10))
    >>> opt = torch.optim.AdamW([p]); p.grad = torch.ones(10); opt.step()
    >>> optimizer_state_bytes(opt)   # exp_avg and exp_avg_sq: 2 x 10 floats, step: one float
    84
    """
    return tensor_bytes(v for state in optimizer.state.values() for v in state.values()
                        if torch.is_tensor(v))


@contextlib.contextmanager
def _quiet_stderr_fd():
    """Send file descriptor 2 to /dev/null: torch.profiler's C++ side prints start/stop lines there."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _cpu_allocations(prof):
    """[(start ns, bytes)] of every CPU allocation (bytes > 0) and free (< 0) a finished profile saw.

    The one place that reads torch's private profiler API (torch._C._profiler and the kineto event
    tree). Fallback: if that API is missing, has changed, or shows no allocation at all (a step always
    allocates), warn and return None, so the caller reports no peak instead of a wrong one.
    """
    try:
        from torch._C._profiler import _EventType
        events = []
        stack = list(prof.profiler.kineto_results.experimental_event_tree())
        while stack:
            node = stack.pop()
            if node.tag == _EventType.Allocation and node.extra_fields.device.type == "cpu":
                events.append((node.start_time_ns, node.extra_fields.alloc_size))
            stack.extend(node.children)
    except Exception as e:  # a private API: report instead of failing the whole run
        warnings.warn(f"CPU memory profiling unavailable ({type(e).__name__}: {e})")
        return None
    if not events:
        warnings.warn("CPU memory profiling unavailable (the profiler recorded no allocation)")
        return None
    return events


def _profiled_peak_cpu(fn):
    """Peak of the running sum of tensor allocations minus frees while fn runs (torch.profiler).

    Counts what torch's CPU allocator hands out (tensors, autograd buffers); oneDNN scratch space that
    bypasses it is not counted. None when the profiler's events cannot be read (see _cpu_allocations).
    """
    from torch.profiler import ProfilerActivity, profile
    with _quiet_stderr_fd(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = _cpu_allocations(prof)
    if events is None:
        return None
    running = peak = 0
    for _, size in sorted(events):
        running += size
        peak = max(peak, running)
    return peak


def step_peak_bytes(fn, device):
    """Peak bytes that one call of fn allocates on top of what was already allocated, or None.

    See the module docstring for an example.
    """
    if device.type == "cuda":
        sync(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        fn()
        sync(device)
        return torch.cuda.max_memory_allocated(device) - before
    return _profiled_peak_cpu(fn)

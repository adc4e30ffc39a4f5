"""Measurements: how long a forward pass or a training step takes, and how much memory a run holds.

The training loop reports `PeakMemory`; lesson 10 and the benchmarks time steps with
`inference_latency`, `train_step_time` and `training_step`, so every number in the course comes
from the same few lines.

Example:
    >>> median_seconds(lambda: sum(range(1000)), repeats=3, warmup=1) > 0
    True
"""
import threading
import time

import torch


def training_step(model, batch, optimizer):
    """One plain training step: forward (the model computes its loss), backward, optimizer step.

    Returns the loss. The gradients are set to None afterwards, as `torch.optim` recommends.
    """
    loss = model(**batch).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss


def median_seconds(step, repeats, warmup):
    """Median wall time of `step()` over `repeats` calls, after `warmup` untimed calls."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


@torch.no_grad()
def inference_latency(model, inputs, repeats=20, warmup=3):
    """Median seconds of one forward pass of `model` on `inputs` (a dict of tensors)."""
    model.eval()
    return median_seconds(lambda: model(**inputs), repeats, warmup)


def train_step_time(model, inputs, repeats=5, warmup=1):
    """Median seconds of one training step of `model`: forward, backward and an AdamW step.

    `inputs` is a batch with labels (so the model returns a loss). Only the trainable parameters
    get gradients and optimizer state, which is where LoRA saves time. The optimizer runs with
    lr = 0, so the weights stay as they were.
    """
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.0)
    was_training = model.training
    model.train()
    seconds = median_seconds(lambda: training_step(model, inputs, optimizer), repeats, warmup)
    model.train(was_training)
    return seconds


class PeakMemory:
    """Peak memory while the `with` block runs: GPU memory on CUDA, resident set size otherwise.

    On a CPU a background thread samples the process's RSS every 20 ms (psutil), so each run of a
    sweep reports its own peak rather than the process's lifetime maximum.

    >>> with PeakMemory("cpu") as peak:
    ...     x = bytearray(50 * 2**20)
    >>> peak.mb > 50
    True
    """

    def __init__(self, device="cpu", interval=0.02):
        self.device, self.interval, self.mb = device, interval, 0.0

    def __enter__(self):
        if self.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
            return self
        import psutil
        process = psutil.Process()
        self._stop = threading.Event()

        def sample():
            while True:
                self.mb = max(self.mb, process.memory_info().rss / 2**20)
                if self._stop.wait(self.interval):
                    return

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        if self.device == "cuda":
            self.mb = torch.cuda.max_memory_allocated() / 2**20
        else:
            self._stop.set()
            self._thread.join()
        return False

"""A time limit on training (`--max-train-minutes`): measure the speed, then train on what fits.

The chat task's default pass over its data took 13 minutes on a 2-core Xeon that computes bf16
natively, and would take about 23 on a 2-core AMD EPYC that must stay in fp32 (3.0 s a step over
the first 46 of its 455 steps). A run with a limit times its first steps, predicts the seconds of every step still planned
from its padded tokens (batches grouped by length differ several-fold), and keeps the longest prefix
of the plan that ends within the limit. The learning-rate schedule is re-planned to reach 0 at that
step, so a run cut short still ends its decay (a run stopped mid-schedule ends at a high rate).

Which batches are trained then depends on the machine's speed: the plan and the steps run are
recorded (`metrics.json`: "steps_planned", "steps_run"), and `--max-train-minutes 0` trains them all.
"""
import torch

WARM_UP_STEPS = 3    # not timed: the first steps allocate and warm caches
TIMED_STEPS = 20     # timed to measure seconds per token; the limit acts only after them


def step_costs(batches, lengths, processes):
    """Padded tokens of each optimizer step: with several processes a step trains `processes`
    consecutive batches at once (accelerate's sharding), and lasts as long as the longest.

    >>> step_costs([[0, 1], [2], [3, 4]], lengths=[5, 7, 3, 2, 2], processes=1)
    [14, 3, 4]
    """
    padded = [len(batch) * max(lengths[i] for i in batch) for batch in batches]
    return [max(padded[i:i + processes]) for i in range(0, len(padded), processes)]


def steps_that_fit(seconds_left, costs, seconds_per_token):
    """How many of the steps `costs` (padded tokens, in order) end within `seconds_left`.

    >>> steps_that_fit(10.0, [4, 4, 4], seconds_per_token=1.0)
    2
    """
    spent, fitting = 0.0, 0
    for cost in costs:
        spent += cost * seconds_per_token
        if spent > seconds_left:
            break
        fitting += 1
    return fitting


class TimeLimit:
    """Decides, once, how many of the planned steps a run with a limit of `minutes` trains.

    `costs` are the padded tokens of every planned step, in order (all epochs), `started` the clock
    before the first. Call `after_step` after each step with its 1-based number and the clock; it
    returns None, except after the last timed step, where it returns the number of steps to train
    in all (at most the plan).

    >>> limit = TimeLimit(minutes=0.125, costs=[10] * 100, started=0.0)   # 7.5 seconds
    >>> [limit.after_step(step, now=0.125 * step) for step in range(1, 24)][-1]   # 1/80 s a token
    60
    """

    def __init__(self, minutes, costs, started):
        self.seconds, self.costs, self.started, self.timed_from = 60 * minutes, costs, started, None

    def after_step(self, step, now):
        if step == WARM_UP_STEPS:
            self.timed_from = now
        if step != WARM_UP_STEPS + TIMED_STEPS or step >= len(self.costs):
            return None
        seconds_per_token = (now - self.timed_from) / sum(self.costs[WARM_UP_STEPS:step])
        left = self.seconds - (now - self.started)
        return step + steps_that_fit(left, self.costs[step:], seconds_per_token)


class LinearSchedule:
    """The learning-rate factor of transformers' `get_linear_schedule_with_warmup` (0 to 1 over
    `warmup` steps, then linearly to 0 at `total`), with a `total` that a time limit may lower.

    >>> schedule = LinearSchedule(warmup=2, total=6)
    >>> [schedule(step) for step in range(7)]
    [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0]
    """

    def __init__(self, warmup, total):
        self.warmup, self.total = warmup, total

    def __call__(self, step):
        if step < self.warmup:
            return step / max(1, self.warmup)
        return max(0.0, (self.total - step) / max(1, self.total - self.warmup))


def agreed(steps, accelerator):
    """Rank 0's decision on every process (each timed its own steps; they must stop together)."""
    from accelerate.utils import broadcast
    return int(broadcast(torch.tensor([steps], device=accelerator.device), from_process=0).item())

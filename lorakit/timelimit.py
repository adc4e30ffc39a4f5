"""A deadline on a training job (`--max-train-minutes`): stop training so that the job ends in time.

The chat task's default pass over its data took 13 minutes on a 2-core Xeon that computes bf16
natively, and would take about 23 on a 2-core AMD EPYC that must stay in fp32; a laptop slows down
when another program starts. So a run with a limit does not plan once: after every step it
re-estimates its speed from its recent steps (seconds per padded token: batches grouped by length
differ several-fold), predicts the seconds of every step still planned and of the validations
still to come (timed on a sample before training, then measured), and trains the longest prefix
of the plan that ends the whole job (training, validation, saving) within the limit. The
learning-rate schedule follows that end, so a run cut short still ends its decay at 0.

Which batches are trained then depends on the machine's speed: the plan and the steps run are
recorded (`metrics.json`: "steps_planned", "steps_run", "stopped_by_deadline"), and
`--max-train-minutes 0` trains them all.
"""
import bisect
import itertools
import math

import torch

WARM_UP_STEPS = 3    # the first steps allocate and warm caches: left out of the speed once past them
RECENT_STEPS = 10    # the speed is the one of the last 10 steps: it follows a machine that slows down
SAVE_SECONDS = 5.0   # kept for what follows training: restoring the best weights and saving the run


def cut_message(minutes, steps, planned):
    """What a run says when its deadline first cuts the plan.

    >>> cut_message(1.5, 13, 940)[:58]
    '--max-train-minutes 1.5: about 13 of the 940 planned steps'
    """
    return (f"--max-train-minutes {minutes:g}: about {steps} of the {planned} planned steps fit at this "
            f"machine's speed (re-estimated as it goes; the learning rate decays to 0 at the last step; "
            f"--max-train-minutes 0 trains them all)")


def step_costs(batches, lengths, processes):
    """Padded tokens of each optimizer step: with several processes a step trains `processes`
    consecutive batches at once (accelerate's sharding), and lasts as long as the longest.

    >>> step_costs([[0, 1], [2], [3, 4]], lengths=[5, 7, 3, 2, 2], processes=1)
    [14, 3, 4]
    """
    padded = [len(batch) * max(lengths[i] for i in batch) for batch in batches]
    return [max(padded[i:i + processes]) for i in range(0, len(padded), processes)]


class Deadline:
    """Decides after every step how many of the planned steps a job with `minutes` can train.

    `costs` are the padded tokens of every planned step, in order (all epochs, `steps_per_epoch`
    each), `started` the clock when the job began, `validation` the seconds one validation is
    expected to take (`validated` replaces it with each measured one; it is scaled by how much the
    steps have slowed down since it was timed), `training_from` the clock
    when training begins (default: `started`). Call `after_step` after each step with its 1-based
    number and the clock: it returns the number of steps to train in all (at most the plan), so
    that the steps left (at the speed of the recent steps; the warm-up steps count only until
    there are others) and the validations left (one at the end of each epoch, and one after a cut)
    end the job within the limit, less SAVE_SECONDS.

    >>> deadline = Deadline(minutes=0.5, costs=[10] * 100, steps_per_epoch=100, started=0.0)
    >>> deadline.after_step(1, now=2.0)      # the first step, slow: a pessimistic first plan
    12
    >>> [deadline.after_step(step, now=1.5 + step * 0.5) for step in range(2, 10)][-1]   # 1/20 s a token
    47
    >>> deadline.after_step(10, now=8.0)     # the machine slows down: that step took 2 s
    33
    >>> deadline.validated(10.0)             # a validation takes 10 s: fewer steps fit
    >>> deadline.after_step(11, now=10.0)   # and, the steps slowing on, it will take a little longer
    14
    """

    def __init__(self, minutes, costs, steps_per_epoch, started, validation=0.0, training_from=None):
        self.seconds, self.started, self.validation = 60 * minutes, started, validation
        self.per_epoch = steps_per_epoch
        self.total_cost = [0, *itertools.accumulate(costs)]   # tokens of the first k steps
        self.clock = {0: started if training_from is None else training_from}   # step -> the clock after it
        self.planned = len(costs)
        self.rate = self.validated_at_rate = None   # seconds per token now, and when validation was timed

    def validated(self, seconds):
        """A validation was measured: later predictions use its time."""
        self.validation, self.validated_at_rate = seconds, self.rate

    def expected_validation(self):
        """Seconds the next validation will take: the last one measured, scaled by how much slower
        (or faster) training steps have become since (a machine that slows down slows both)."""
        if not (self.rate and self.validated_at_rate):
            return self.validation
        return self.validation * self.rate / self.validated_at_rate

    def seconds_left(self, now):
        """Seconds left at `now` for what the job still has to do before saving."""
        return self.seconds - SAVE_SECONDS - (now - self.started)

    def validation_share(self, now):
        """The share of a validation (0 to 1) that fits in the time left: a job that slowed down
        scores fewer examples rather than overrun its limit.

        >>> Deadline(minutes=1, costs=[1], steps_per_epoch=1, started=0.0, validation=20.0).validation_share(45.0)
        0.5
        """
        if not self.validation:
            return 1.0
        return min(1.0, max(self.seconds_left(now), 0.0) / self.expected_validation())

    def after_step(self, step, now):
        self.clock[step] = now
        first = max(WARM_UP_STEPS if step > WARM_UP_STEPS else 0, step - RECENT_STEPS)
        tokens = self.total_cost[step] - self.total_cost[first]
        rate = (now - self.clock[first]) / max(tokens, 1)       # seconds per token, recently
        if step > WARM_UP_STEPS:
            self.rate = rate
            self.validated_at_rate = self.validated_at_rate or rate   # the sample was timed before training
        left = self.seconds_left(now)
        fits = self.last_step_in_time(step, left, rate)
        # Shrink at once; grow back (the machine sped up) only by a margin, so that the plan's end,
        # and the learning rate's with it, does not flicker by a step from one estimate to the next.
        if fits < self.planned or fits > self.planned + max(2, self.planned // 20):
            self.planned = fits
        return self.planned

    def last_step_in_time(self, step, left, rate):
        """The last step k >= `step` whose training and validations fit in `left` seconds."""
        epoch = math.ceil(step / self.per_epoch)

        def needs(k):         # seconds from now to the end of the job if training ends at step k
            validations = math.ceil(k / self.per_epoch) - epoch + 1
            return (self.total_cost[k] - self.total_cost[step]) * rate + validations * validation

        validation = self.expected_validation()

        steps = range(step, len(self.total_cost))
        return step + bisect.bisect_right(steps, left, key=needs) - 1 if needs(step) <= left else step


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

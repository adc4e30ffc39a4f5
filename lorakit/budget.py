"""One time budget for a lesson's training runs, so that its stated time holds on a slower machine.

A lesson sets `LessonBudget(minutes, runs)` near its top: the minutes its training runs may take
in all, and how many runs it makes. Each run then gets an equal share of the minutes not yet
spent (its `--max-train-minutes`, a deadline: `lorakit.timelimit`), and the lesson says when a
run trained less than planned. Only the runs' own time counts, not the time a learner spends
reading between them.

Example (a clock we move by hand; minutes in comments):
    >>> now = [0.0]
    >>> budget = LessonBudget(minutes=6, runs=3, clock=lambda: now[0])
    >>> budget.share()                    # 6 minutes, 3 runs: 2 each
    2.0
    >>> now[0] += 180; budget.spend()     # the first run took 3 minutes (its job overran a little)
    >>> budget.share()                    # 3 minutes left for 2 runs
    1.5
    >>> LessonBudget(minutes=None, runs=3).share() is None   # no budget: no limit
    True
"""
import time


class LessonBudget:
    """The minutes a lesson's `runs` training runs may take in all; None for no limit."""

    def __init__(self, minutes, runs, clock=time.perf_counter):
        if minutes is not None and minutes <= 0:
            raise ValueError(f"LessonBudget: minutes must be positive or None, not {minutes}")
        self.minutes, self.runs_left, self.clock = minutes, runs, clock
        self.spent, self.started = 0.0, None

    def share(self, runs=1):
        """Minutes for the next `runs` runs (a sweep counts its runs): their equal share of what is
        left; starts their clock. None without a budget."""
        self.started = self.clock()
        if self.minutes is None:
            return None
        left = max(self.minutes - self.spent / 60, 0.0)
        return round(left * runs / max(self.runs_left, runs), 2) or 0.01

    def spend(self, runs=1):
        """The runs started by the last `share` have ended: their time is spent."""
        self.spent += self.clock() - self.started
        self.runs_left = max(self.runs_left - runs, 0)

    def train(self, config, runs=1, **options):
        """`lorakit.train.train(config)` within its share of the budget (as large as `runs` runs':
        a longer run claims more); prints how it went against its limit."""
        from dataclasses import replace

        from .train import train
        config = replace(config, max_train_minutes=self.share(runs))
        result = train(config, **options)
        self.spend(runs)
        print(said(result.metrics, config.max_train_minutes))
        return result


def said(metrics, minutes):
    """One line on how a run went against its time limit.

    >>> said({"stopped_by_deadline": True, "steps_run": 40, "steps_planned": 100, "train_seconds": 59.5}, 1.0)
    'time budget: 1 min for this run; it trained 40 of 100 planned steps (slower machine: fewer steps, lower scores)'
    >>> said({"stopped_by_deadline": False, "steps_run": 100, "steps_planned": 100, "train_seconds": 30.2}, 1.0)
    'time budget: 1 min for this run; all 100 planned steps trained in 30 s'
    """
    head = "time budget: " + (f"{minutes:g} min for this run" if minutes else "none")
    if metrics.get("stopped_by_deadline"):
        return (f"{head}; it trained {metrics['steps_run']} of {metrics['steps_planned']} planned steps "
                f"(slower machine: fewer steps, lower scores)")
    return f"{head}; all {metrics['steps_run']} planned steps trained in {metrics['train_seconds']:.0f} s"

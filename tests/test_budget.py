"""A lesson's time budget: shared among its runs, only the runs' time spent, a cut run said."""
import pytest

from lorakit.budget import LessonBudget, said
from lorakit.config import TrainConfig


def test_the_minutes_left_are_shared_among_the_runs_left_and_reading_time_is_not_spent():
    now = [0.0]
    budget = LessonBudget(minutes=10, runs=4, clock=lambda: now[0])
    assert budget.share() == 2.5
    now[0] += 60; budget.spend()
    now[0] += 3600                                # an hour of reading between runs costs nothing
    assert budget.share(runs=2) == 6.0            # 9 minutes left, 3 runs: a sweep of 2 gets 6
    now[0] += 540; budget.spend(runs=2)
    assert budget.share() == 0.01                 # all spent: the last run trains one step
    assert budget.runs_left == 1


def test_a_budget_must_be_positive():
    with pytest.raises(ValueError, match="minutes must be positive"):
        LessonBudget(minutes=0, runs=2)


def test_a_run_cut_by_its_share_says_so(capsys):
    ticks = iter(range(10**6))
    clock = lambda: float(next(ticks))            # noqa: E731  one second a reading
    budget = LessonBudget(minutes=1, runs=2, clock=clock)
    config = TrainConfig(task="sentiment", max_train_examples=60, max_eval_examples=8, epochs=1, batch_size=1)
    result = budget.train(config, progress=False, clock=clock)
    assert result.config.max_train_minutes == 0.5 and result.metrics["stopped_by_deadline"]
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line == said(result.metrics, 0.5) and "of 60 planned steps" in line
    assert budget.runs_left == 1 and budget.spent > 0

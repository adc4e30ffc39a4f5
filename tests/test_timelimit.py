"""--max-train-minutes: the plan of steps cut to what fits, the learning rate still decaying to 0."""
import json
import time
from types import SimpleNamespace

import pytest
import torch

from lorakit.cli import main
from lorakit.timelimit import TIMED_STEPS, WARM_UP_STEPS, LinearSchedule, TimeLimit, step_costs, steps_that_fit
from test_errors import TINY


def test_a_step_costs_the_padded_tokens_of_its_longest_batch_over_the_processes():
    batches, lengths = [[0, 1], [2], [3, 4], [5]], [5, 7, 3, 2, 2, 9]
    assert step_costs(batches, lengths, processes=1) == [14, 3, 4, 9]
    assert step_costs(batches, lengths, processes=2) == [14, 9]


def test_steps_fit_while_their_predicted_seconds_stay_within_the_time_left():
    assert steps_that_fit(10.0, [2, 3, 5, 1], seconds_per_token=1.0) == 3   # 2 + 3 + 5 = 10
    assert steps_that_fit(10.0, [20, 1], seconds_per_token=1.0) == 0        # the order is kept
    assert steps_that_fit(10.0, [], seconds_per_token=1.0) == 0


def test_the_limit_decides_once_after_the_timed_steps_from_their_seconds_per_token():
    decide = WARM_UP_STEPS + TIMED_STEPS
    costs = [100] * decide + [50, 200, 100, 100]            # seconds follow tokens: 1 s per 100 tokens
    limit = TimeLimit(minutes=(decide + 2.75) / 60, costs=costs, started=0.0)
    decisions = [limit.after_step(step, now=float(step)) for step in range(1, len(costs) + 1)]
    assert decisions[:decide - 1] == [None] * (decide - 1) and decisions[decide:] == [None] * 4
    assert decisions[decide - 1] == decide + 2              # 0.5 s + 2 s fit in the 2.75 s left; 1 s more does not
    unlimited = TimeLimit(minutes=60, costs=costs, started=0.0)
    assert [unlimited.after_step(s, now=float(s)) for s in range(1, decide + 1)][-1] == len(costs)


def test_a_plan_no_longer_than_the_timed_steps_is_never_cut():
    limit = TimeLimit(minutes=1e-6, costs=[1] * (WARM_UP_STEPS + TIMED_STEPS), started=0.0)
    assert all(limit.after_step(s, now=100.0 * s) is None for s in range(1, WARM_UP_STEPS + TIMED_STEPS + 1))


def test_linear_schedule_is_transformers_warmup_then_linear_decay():
    from transformers import get_linear_schedule_with_warmup
    theirs = get_linear_schedule_with_warmup(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0), 3, 11)
    assert [LinearSchedule(3, 11)(step) for step in range(14)] == pytest.approx(
        [theirs.lr_lambdas[0](step) for step in range(14)])


def test_a_run_over_its_limit_trains_the_steps_that_fit_and_ends_its_schedule_at_0(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    import lorakit.train
    clock = iter(range(10**6))      # training's clock ticks one second a reading: about one a step
    monkeypatch.setattr(lorakit.train, "time", SimpleNamespace(**{**vars(time), "perf_counter": lambda: float(next(clock))}))
    out = tmp_path / "run"
    assert main(["train", "--task", "sentiment", "--out", str(out), *TINY, "--max-train-examples", "40",
                 "--batch-size", "1", "--max-train-minutes", "0.5", "--report-to", "tensorboard",
                 "--logging-dir", str(tmp_path / "logs")]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps_planned"] == 40 and WARM_UP_STEPS + TIMED_STEPS < metrics["steps_run"] < 40
    assert 25 <= metrics["steps_run"] <= 35      # 30 seconds: about 30 steps of 1 s (reviews differ in length)
    rates = [e.value for e in EventAccumulator(metrics["logs"]).Reload().Scalars("train/learning_rate")]
    assert len(rates) == metrics["steps_run"] and rates[-1] == 0 < rates[-2]   # the schedule ends with the run
    steps_down = [a - b for a, b in zip(rates[WARM_UP_STEPS + TIMED_STEPS:], rates[WARM_UP_STEPS + TIMED_STEPS + 1:])]
    assert steps_down == pytest.approx([steps_down[0]] * len(steps_down), rel=1e-4)   # linearly


def test_without_a_limit_every_planned_step_runs(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--task", "sentiment", "--out", str(out), *TINY, "--max-train-examples", "30",
                 "--batch-size", "1", "--max-train-minutes", "0"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps_planned"] == metrics["steps_run"] == 30


def test_chat_runs_have_a_12_5_minute_limit_by_default():
    from lorakit.config import TrainConfig
    assert TrainConfig(task="chat").resolved().max_train_minutes == 12.5
    assert TrainConfig(task="chat", max_train_minutes=0).resolved().max_train_minutes == 0
    assert TrainConfig(task="sentiment").resolved().max_train_minutes is None

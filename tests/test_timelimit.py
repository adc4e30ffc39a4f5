"""--max-train-minutes: the plan of steps cut to what fits, the learning rate still decaying to 0."""
import json
import time
from types import SimpleNamespace

import pytest
import torch

from lorakit.cli import main
from lorakit.config import TrainConfig
from lorakit.timelimit import SAVE_SECONDS, Deadline, LinearSchedule, step_costs
from lorakit.train import train
from test_errors import TINY


def test_a_step_costs_the_padded_tokens_of_its_longest_batch_over_the_processes():
    batches, lengths = [[0, 1], [2], [3, 4], [5]], [5, 7, 3, 2, 2, 9]
    assert step_costs(batches, lengths, processes=1) == [14, 3, 4, 9]
    assert step_costs(batches, lengths, processes=2) == [14, 9]


def job(minutes, costs, per_epoch, speed, validation=2.0, guess=2.0, record=None):
    """A simulated training job under a Deadline: seconds per token `speed(step)`, each whole
    validation `validation` seconds (a number, or a function of the step), guessed as `guess` before
    the first; a validation scores the share the deadline leaves time for. Returns (seconds to the
    end of the job, steps trained): how `lorakit.train.fit` drives the deadline, with a clock we own."""
    whole = validation if callable(validation) else lambda step: validation
    deadline, now, stop_at, step = Deadline(minutes, costs, per_epoch, started=0.0, validation=guess), 0.0, len(costs), 0
    for _ in range(len(costs) // per_epoch):
        for _ in range(per_epoch):
            step += 1
            now += costs[step - 1] * speed(step)
            planned = deadline.after_step(step, now)
            stop_at = stop_at if planned is None else min(planned, len(costs))
            if step >= stop_at:
                break
        share = deadline.validation_share(now)
        now += whole(step) * share
        deadline.validated(whole(step))
        if record is not None:
            record.append(share)
        if step >= stop_at:
            break
    return now + SAVE_SECONDS, step


def within(seconds, minutes):
    """The aim: the job ends within 10% or 30 s of its limit, whichever is larger."""
    return seconds <= 60 * minutes + max(6 * minutes, 30)


COSTS = [100 + 37 * (i % 5) for i in range(600)]         # padded tokens differ from batch to batch


@pytest.mark.parametrize("slow_from", [1, 2, 6, 40, 300], ids=["from-the-start", "in-the-warm-up",
                                                                  "just-after", "early", "late"])
def test_a_job_ends_in_time_when_the_machine_slows_down_fourfold(slow_from):
    speed = lambda step: 0.01 if step < slow_from else 0.04   # noqa: E731  (1-1.5 s a step, then 4-6)
    seconds, steps = job(5, COSTS, 200, speed)
    assert within(seconds, 5) and steps < len(COSTS), (seconds, steps)
    assert seconds >= 0.8 * 300, f"stopped too early: {seconds:.0f} s of 300"


def test_a_job_that_fits_trains_every_step_and_one_that_speeds_up_trains_more():
    assert job(60, COSTS, 200, lambda step: 0.01)[1] == len(COSTS)
    seconds, steps = job(5, COSTS, 200, lambda step: 0.04 if step < 30 else 0.01)
    assert within(seconds, 5) and seconds >= 0.9 * 300
    assert steps > 60            # the first estimate, from the slow steps, planned 42: the plan grew back


def test_validation_slower_than_its_sample_said_is_taken_into_account():
    seconds, steps = job(5, COSTS, 100, lambda step: 0.01, validation=40.0, guess=4.0)
    assert within(seconds, 5), seconds
    fast_validation = job(5, COSTS, 100, lambda step: 0.01, validation=4.0, guess=4.0)
    assert fast_validation[1] > steps                               # slower validations leave fewer steps


def test_a_validation_slowed_down_with_the_machine_still_ends_in_time():
    """The case measured on a loaded machine: validation timed before two CPU hogs started took
    four times its estimate. Training makes room for the slower validation, scaled by the steps' speed."""
    speed = lambda step: 0.01 if step < 40 else 0.04       # noqa: E731
    shares = []
    seconds, steps = job(5, COSTS, len(COSTS), speed, validation=lambda step: 3000 * speed(step),
                         guess=30.0, record=shares)          # 30 s when sampled, 120 s at the end
    assert within(seconds, 5) and seconds >= 0.8 * 300, seconds
    assert shares == [1.0]                                   # time was left for all of it


def test_a_validation_that_no_longer_fits_scores_the_share_left():
    deadline = Deadline(minutes=1, costs=[10] * 10, steps_per_epoch=10, started=0.0, validation=40.0)
    assert deadline.validation_share(now=35.0) == pytest.approx((60 - SAVE_SECONDS - 35) / 40)
    assert deadline.validation_share(now=70.0) == 0.0 and deadline.validation_share(now=0.0) == 1.0


def test_a_job_out_of_time_stops_after_its_first_step():
    seconds, steps = job(0.1, COSTS, 200, lambda step: 0.05)       # 6 s: the first step is already late
    assert steps == 1


def test_linear_schedule_is_transformers_warmup_then_linear_decay():
    from transformers import get_linear_schedule_with_warmup
    theirs = get_linear_schedule_with_warmup(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0), 3, 11)
    assert [LinearSchedule(3, 11)(step) for step in range(14)] == pytest.approx(
        [theirs.lr_lambdas[0](step) for step in range(14)])


def test_a_run_over_its_limit_ends_the_job_in_time_and_its_schedule_at_0(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    ticks = iter(range(10**6))
    clock = lambda: float(next(ticks))     # noqa: E731  one second a reading: about one a step
    config = TrainConfig(task="sentiment", max_train_examples=40, max_eval_examples=8, epochs=1, batch_size=1,
                         max_train_minutes=0.5, report_to="tensorboard", logging_dir=str(tmp_path / "logs"))
    metrics = train(config, progress=False, clock=clock).metrics
    assert clock() <= 30                   # the whole job: set-up, training, validation, within 30 s
    assert metrics["steps_planned"] == 40 and metrics["stopped_by_deadline"]
    assert 15 <= metrics["steps_run"] <= 25, metrics["steps_run"]   # 30 s less the job's other readings
    rates = [e.value for e in EventAccumulator(metrics["logs"]).Reload().Scalars("train/learning_rate")]
    assert len(rates) == metrics["steps_run"] and rates[-1] == 0 < rates[-2]   # the schedule ends with the run
    peak = rates.index(max(rates))                                  # the end of the warm-up, then decay
    rises = [b - a for a, b in zip(rates[peak:], rates[peak + 1:]) if b > a]    # where the plan grew back
    assert all(rise < 0.05 * rates[peak] for rise in rises), rates


def test_without_a_limit_every_planned_step_runs(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--task", "sentiment", "--out", str(out), *TINY, "--max-train-examples", "30",
                 "--batch-size", "1", "--max-train-minutes", "0"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps_planned"] == metrics["steps_run"] == 30 and not metrics["stopped_by_deadline"]


def test_chat_runs_have_a_12_5_minute_limit_by_default():
    from lorakit.config import TrainConfig
    assert TrainConfig(task="chat").resolved().max_train_minutes == 12.5
    assert TrainConfig(task="chat", max_train_minutes=0).resolved().max_train_minutes == 0
    assert TrainConfig(task="sentiment").resolved().max_train_minutes is None


class Clock:
    """A clock the test moves: no sleeps, no real-time thresholds."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def fake_runs(clock, seconds, given, overrun=0):
    """A stand-in for `lorakit.sweep.run_one`: run i takes `seconds[i]`, capped by its training
    limit as the deadline does except for the first `overrun` runs, plus 5 s of scoring; records
    the limits it was given."""
    def run_one(config, test_set, save_to=None):
        given.append(config.max_train_minutes)
        wanted = seconds[len(given) - 1]
        clock.now += (wanted if len(given) <= overrun else min(wanted, 60 * config.max_train_minutes)) + 5
        return {"task": config.task, "method": config.method, "rank": config.r, "seed": config.seed,
                "accuracy": 0.9, "score_seconds": 5.0}
    return run_one


@pytest.mark.parametrize("first", [480, 1000], ids=["eats-most", "eats-all"])
def test_a_sweep_whose_first_run_overruns_shares_what_is_left_and_ends_in_time(first, tmp_path, monkeypatch, capsys):
    import lorakit.sweep
    clock, given = Clock(), []
    # the first run overruns its limit (a machine that stalled); the others take 60 s if they may
    monkeypatch.setattr(lorakit.sweep, "run_one", fake_runs(clock, [first, 60, 60, 60], given, overrun=1))
    table = lorakit.sweep.run_sweep("sentiment", ranks=[1, 2, 4, 8], out=tmp_path, max_minutes=10,
                                    progress=False, clock=clock)
    assert given[0] == 2.5                                   # a quarter of 10 minutes
    if first == 480:
        assert len(table) == 4 and clock.now <= 600 + 30     # the three others shared the 115 s left
        assert all(share < 0.75 for share in given[1:])
    else:
        assert len(table) == 1 and given == [2.5]            # no time left: skipped, said, and resumable
        assert (tmp_path / "results.csv").is_file()


def test_predict_in_time_keeps_the_rows_that_fit_at_the_pace_of_the_slowest_chunk(monkeypatch):
    import datasets
    import lorakit.inference
    from lorakit.tasks import get_task
    clock, pace = Clock(), {"seconds": 1.0}

    def predict(model, tokenizer, task, rows):
        clock.now += pace["seconds"] * len(rows)
        if clock.now > 100:
            pace["seconds"] = 3.0                            # the machine slows down after 100 s
        return ["positive"] * len(rows)
    monkeypatch.setattr(lorakit.inference, "predict", predict)
    rows = datasets.Dataset.from_dict({"text": ["fine"] * 1000})
    task = get_task("sentiment")
    done = lorakit.inference.predict_in_time(None, None, task, rows, max_minutes=5, chunk=50, progress=False,
                                             clock=clock)
    assert clock.now <= 300 and 0 < len(done) < 1000 and len(done) % 50 == 0
    clock.now, pace["seconds"] = 0.0, 1.0
    assert len(lorakit.inference.predict_in_time(None, None, task, rows, progress=False, clock=clock)) == 1000


def test_evaluate_with_a_limit_scores_the_rows_done_and_says_so(tmp_path, capsys):
    from lorakit.data import bundled_path
    out = tmp_path / "run"
    assert main(["train", "--task", "sentiment", "--out", str(out), *TINY]) == 0
    capsys.readouterr()
    # a limit shorter than any chunk of 64 reviews: the first chunk runs, then it stops
    assert main(["evaluate", "--model-dir", str(out), "--data", str(bundled_path("sentiment", "test")),
                 "--max-minutes", "1e-6", "--quiet"]) == 0
    captured = capsys.readouterr()
    metrics = json.loads(captured.out)
    assert metrics["rows"] == 64 < metrics["rows_in_file"] and 0 <= metrics["accuracy"] <= 1
    assert f"stopped after 64 of {metrics['rows_in_file']} rows" in captured.err
    predictions = tmp_path / "predictions.csv"
    assert main(["predict", "--model-dir", str(out), "--input", str(bundled_path("sentiment", "test")),
                 "--output", str(predictions), "--max-minutes", "1e-6", "--quiet"]) == 0
    assert len(predictions.read_text().splitlines()) == 1 + 64


def test_bad_time_limits_and_list_items_are_one_line_errors(capsys):
    for args in (["sweep", "--task", "sentiment", "--out", "x", "--ranks", "1,,2"],
                 ["sweep", "--task", "sentiment", "--out", "x", "--max-minutes", "-1"],
                 ["predict", "--model-dir", "x", "--input", "y", "--output", "z", "--max-minutes", "soon"]):
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and ("--ranks" in err or "--max-minutes" in err), err


@pytest.mark.parametrize("task", ["sentiment", "qa"])
def test_a_validation_short_of_time_scores_an_even_share_of_the_examples(task):
    from lorakit.train import set_up, validate
    run = set_up(TrainConfig(task=task, max_train_examples=4, max_eval_examples=40).resolved())
    assert "validation_examples" not in validate(run)                   # all 40: nothing to say
    half = validate(run, share=0.5)
    assert half["validation_examples"] == 20 and 0 <= half[run.task.main_metric] <= 100
    assert validate(run, share=0.0)["validation_examples"] == 16         # never fewer than 16

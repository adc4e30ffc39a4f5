"""Prediction and evaluation: a trained model's outputs on a dataset, in the task's own format.

    dataset -task.encode-> features -batches, shortest first-> model (LoRA merged) -> outputs
            -task.postprocess-> predictions (labels, tags, answers) -task.metrics-> scores

Example (a run that `lorakit train` saved):
    model, tokenizer, info = load_run("runs/sentiment")
    task = model_task(model, info["task"], info["options"])
    predict(model, tokenizer, task, reviews)
    ['positive', 'negative']
"""
import time

from .config import config_from_dict
from .outputs import predict_outputs, task_predictions
from .tasks import Task

__all__ = ["evaluate", "model_task", "predict", "predict_in_time", "predict_outputs"]


def model_task(model, task, options=None):
    """The Task called `task`, with the label names `model` was trained with and the run's
    `options` (`lorakit.json`), so that a run trained with, say, max_length=384 predicts with the
    same windows. A Task object is returned as it is.
    """
    if isinstance(task, Task):
        return task
    return config_from_dict({**(options or {}), "task": task}).make_task().for_model(model)


def predict(model, tokenizer, task, dataset, batch_size=64, **kwargs):
    """Predictions for every example of `dataset`, in its order, in the task's natural format.

    `task` is the run's Task (or a task name: its defaults and the model's labels).
    """
    return task_predictions(model, tokenizer, model_task(model, task), dataset, batch_size, **kwargs)


def predict_in_time(model, tokenizer, task, dataset, max_minutes=None, chunk=64, progress=True,
                    clock=time.perf_counter):
    """Predictions for `dataset` chunk by chunk, with a progress bar that shows the time left;
    with `max_minutes`, only for the first rows that fit: after the first chunk, it stops before a
    chunk that would end past the limit at the pace of the slowest chunk so far. Returns one prediction per row done,
    in order (as many as the dataset has rows when all fit).

    Example (a chat run asked 800 sentences; about 10 minutes on a 2-core CPU):
        predictions = predict_in_time(model, tokenizer, task, sentences, max_minutes=2)
        len(predictions)
        192
    """
    from tqdm.auto import tqdm
    task = model_task(model, task)
    started, slowest, predictions = clock(), 0.0, []
    with tqdm(total=len(dataset), unit="row", desc="predict", disable=not progress) as bar:
        for start in range(0, len(dataset), chunk):
            if max_minutes and predictions and clock() - started + slowest > 60 * max_minutes:
                break
            began = clock()
            rows = dataset.select(range(start, min(start + chunk, len(dataset))))
            predictions += predict(model, tokenizer, task, rows)
            slowest = max(slowest, clock() - began)
            bar.update(len(rows))
    return predictions


def evaluate(model, tokenizer, task, dataset, batch_size=64, **kwargs):
    """(predictions, metrics) of `model` on a labelled `dataset`, with the task's `model_metrics`."""
    task = model_task(model, task)
    predictions = predict(model, tokenizer, task, dataset, batch_size, **kwargs)
    return predictions, {**task.metrics(dataset, predictions), **task.model_metrics(model, tokenizer)}

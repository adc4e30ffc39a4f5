"""Prediction and evaluation: a trained model's outputs on a dataset, in the task's own format.

    dataset -task.encode-> features -batches, shortest first-> model (LoRA merged) -> outputs
            -task.postprocess-> predictions (labels, tags, answers) -task.metrics-> scores

Example (a run that `lorakit train` saved):
    >>> model, tokenizer, info = load_run("runs/sentiment")  # doctest: +SKIP
    >>> task = model_task(model, info["task"], info["options"])  # doctest: +SKIP
    >>> predict(model, tokenizer, task, reviews)  # doctest: +SKIP
    ['positive', 'negative']
"""
import contextlib
import time

import torch
from torch.utils.data import DataLoader

from . import interrupts
from .lora import merged
from .tasks import Task, get_task


@torch.no_grad()
def predict_outputs(model, features, task, tokenizer, batch_size=64, device=None, autocast=None):
    """Run `model` over encoded `features`; one numpy output per feature, in order, trimmed to its length.

    Sentiment gives (num_labels,) logits, NER (seq_len, num_labels), QA (start (seq_len,), end (seq_len,)),
    chat the generated reply's token ids.
    Features are batched shortest first, so a batch pads little, and LoRA layers run merged.
    """
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    lengths = [len(ids) for ids in features["input_ids"]]
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    loader = DataLoader(features.select(order), batch_size=batch_size,
                        collate_fn=task.collator(tokenizer, targets=False))
    outputs = []
    with merged(model):
        for batch in loader:
            interrupts.check()
            batch = {k: v.to(device) for k, v in batch.items()}
            with autocast() if autocast else contextlib.nullcontext():
                outputs += task.batch_outputs(model, batch, tokenizer)
    model.train(was_training)
    by_feature = [None] * len(order)
    for i, output in zip(order, outputs):
        by_feature[i] = output
    return by_feature


def model_task(model, task, options=None):
    """The Task called `task`, with the label names `model` was trained with and the run's
    `options` (`lorakit.json`), so that a run trained with, say, max_length=384 predicts with the
    same windows. A Task object is returned as it is.
    """
    from .config import config_from_dict
    if isinstance(task, Task):
        return task
    id2label = model.config.id2label
    labels = [id2label[i] for i in range(len(id2label))] if get_task(task).default_labels else None
    return config_from_dict({**(options or {}), "task": task}).make_task(labels)


def predict(model, tokenizer, task, dataset, batch_size=64, **kwargs):
    """Predictions for every example of `dataset`, in its order, in the task's natural format.

    `task` is the run's Task (or a task name: its defaults and the model's labels).
    """
    task = model_task(model, task)
    features = task.encode(dataset, tokenizer, train=False)
    outputs = predict_outputs(model, features, task, tokenizer, batch_size, **kwargs)
    return task.postprocess(dataset, features, outputs)


def predict_in_time(model, tokenizer, task, dataset, max_minutes=None, chunk=64, progress=True,
                    clock=time.perf_counter):
    """Predictions for `dataset` chunk by chunk, with a progress bar that shows the time left;
    with `max_minutes`, only for the first rows that fit: after the first chunk, it stops before a
    chunk that would end past the limit at the pace of the slowest chunk so far. Returns one prediction per row done,
    in order (as many as the dataset has rows when all fit).

    Example (a chat run asked 800 sentences; about 10 minutes on a 2-core CPU):
        >>> predictions = predict_in_time(model, tokenizer, task, sentences, max_minutes=2)  # doctest: +SKIP
        >>> len(predictions)  # doctest: +SKIP
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

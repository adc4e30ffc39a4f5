"""A model's outputs on a task's features, batched: the step that prediction and validation share.

    features -batches, shortest first-> model (LoRA merged) -task.batch_outputs-> one output per feature

It takes a Task object and knows no task by name; `lorakit.inference` builds on it.
"""
import contextlib

import torch
from torch.utils.data import DataLoader

from . import interrupts
from .lora import merged


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
            interrupts.reached("predict")
            interrupts.check()
            batch = {k: v.to(device) for k, v in batch.items()}
            with autocast() if autocast else contextlib.nullcontext():
                outputs += task.batch_outputs(model, batch, tokenizer)
    model.train(was_training)
    by_feature = [None] * len(order)
    for i, output in zip(order, outputs):
        by_feature[i] = output
    return by_feature


def task_predictions(model, tokenizer, task, dataset, batch_size=64, **kwargs):
    """Predictions of `model` for every row of `dataset`, in its order, in `task`'s (a Task's) format."""
    features = task.encode(dataset, tokenizer, train=False)
    outputs = predict_outputs(model, features, task, tokenizer, batch_size, **kwargs)
    return task.postprocess(dataset, features, outputs)

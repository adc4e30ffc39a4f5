"""Solutions to the exercises of notebooks/13_forgetting.ipynb.

Run from the repository root: python solutions/13_forgetting.py (every answer is checked by an assert).
Exercise 2 needs no model; exercise 1 trains four chat adapters (a few steps on a few conversations with
LORAKIT_FAST=1, tens of minutes on a CPU without).
"""
import math

import torch

import lorakit
from lorakit.config import TrainConfig
from lorakit.data import bundled_data_dir
from lorakit.exercises import nb13
from lorakit.device import select_device
from lorakit.fast import pick
from lorakit.inference import predict
from lorakit.models import load_task_model, load_tokenizer
from lorakit.tasks import ChatTask, read_chat
from lorakit.tasks.chat import contains
from lorakit.train import prepare_model, train

MODEL_PATH = ChatTask.base_model()            # the bundled SmolLM2-135M-Instruct
device = select_device()
tokenizer = load_tokenizer(MODEL_PATH)
base = load_task_model("chat", None, MODEL_PATH).to(device).eval()
sizes = dict(max_train_examples=pick(full=240, fast=8), max_eval_examples=pick(full=30, fast=2),
             max_new_tokens=pick(full=None, fast=8), seed=0)           # as in the lesson's section 2

# Exercise 1. Trainable parameters by hand: the chat default ("top-2/3") adapts every linear layer of the top
# two thirds of the decoder blocks (20 of 30; the output layer, tied to the embeddings, is not adapted); each
# gets A (r x d_in) and B (d_out x r): r (d_in + d_out) parameters.
blocks = base.model.layers[len(base.model.layers) // 3:]
linear = [module for module in blocks.modules() if isinstance(module, torch.nn.Linear)]
counts = {}
for r in (2, 32):
    expected = sum(r * (layer.in_features + layer.out_features) for layer in linear)
    model = prepare_model("chat", None, TrainConfig(task="chat", r=r).resolved(), MODEL_PATH)
    counts[r] = lorakit.count_parameters(model)[0]
    assert counts[r] == expected, (r, counts[r], expected)
    del model
assert counts[32] == 16 * counts[2]                       # linear in r
assert nb13.check_1(counts)
print(f"1. {len(linear)} adapted layers; trainable parameters: r = 2 {counts[2]:,}, r = 32 {counts[32]:,}")

general = read_chat(bundled_data_dir() / "chat" / "general.jsonl", require_labels=False)
general = general.select(range(pick(full=len(general), fast=4)))
asker = ChatTask(max_new_tokens=pick(full=48, fast=8))    # 48 new tokens, as general_accuracy


def general_accuracy(model):
    return asker.metrics(general, predict(model, tokenizer, asker, general))["accuracy"]


train_rows = read_chat(bundled_data_dir() / "chat" / "train.jsonl").select(range(sizes["max_train_examples"]))
accuracy = {"base model": general_accuracy(base)}
runs = {"r = 16 (the default)": {}, "r = 2": dict(r=2), "r = 32": dict(r=32), "r = 16, replay 0": dict(replay=0.0)}
for name, options in runs.items():
    result = train(TrainConfig(task="chat", **options, **sizes), progress=False)
    n, replay = len(train_rows), result.task.replay
    assert len(result.task.training_set(train_rows)) == n + round(replay * n)     # replay: a share of the rows
    accuracy[name] = general_accuracy(result.model)
    del result
for name, value in accuracy.items():
    assert math.isclose(value * len(general), round(value * len(general)), abs_tol=0.01)   # k of N right
    print(f"   general accuracy, {name:<20} {value:.3f}")
# With a few steps (fast mode) nothing moves. In full runs, what to look for: a larger rank lets the update
# move further from the base model, and without replay nothing pulls the answers to general requests back
# towards the base model's; both may cost general accuracy. Check whether your numbers agree, and repeat with
# seeds 1 and 2 before you conclude: one seed on a few dozen questions is noisy.

# Exercise 2. How generous is the score? `contains` looks for an accepted answer as whole words (no letter or
# digit joined to it), ignoring case, anywhere in the reply.
judged = {
    "Paris.": True,
    "paris": True,                                              # case is ignored
    "The capital of France is Paris, of course.": True,         # inside a sentence
    "It is either Lyon or Paris.": True,                        # beside a wrong answer: let through
    "Paris-Orly is an airport, the capital is Lyon.": True,     # a hyphen is not a letter: let through
    "Parisian cafés are famous.": False,                        # inside another word
    "The capital is Lyon.": False,
    "The City of Light.": False,                                # right in other words: missed
}
for reply, right in judged.items():
    assert contains(reply, "Paris") == right, reply
assert nb13.check_2(judged)
print("2. counted right:", [reply for reply, right in judged.items() if right])
# The score lets through a reply that names the answer beside a wrong one, and misses a right answer in other
# words; on short questions with one-word answers the first happens rarely, and the accepted lists hold the
# usual forms ("12", "twelve"). Reading the replies that changed (section 2 of the lesson) is the check.

# Check your understanding.
# 1. `train` kept 0.8 of the update; rescaled(model, k) multiplies every scaling, so 0.8 k = 0.5: k = 0.625.
factor = 0.5 / 0.8
assert nb13.question_1(factor)
# 2. replay 0.3 adds round(0.3 x 240) = 72 replayed rows to 240 task rows: 72 of 312, 23 % of the mixed set.
run_task = ChatTask(replay=0.3)
task_rows = read_chat(bundled_data_dir() / "chat" / "train.jsonl").select(range(240))
replayed = len(run_task.training_set(task_rows)) - len(task_rows)
assert nb13.question_2(replayed, replayed / (len(task_rows) + replayed))
# 3. (b): one short run with each method's default learning rate shows what each run learned beside what it
#    kept; Biderman et al.'s finding (a) came from each method's best learning rate after long training.
assert nb13.question_3("b")
print(f"questions: rescale by {factor:g}; {replayed} replayed rows, {replayed / (240 + replayed):.1%} of the mixed set")

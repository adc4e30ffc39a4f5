"""Solutions to the exercises of notebooks/12_chat_lora.ipynb.

Run from the repository root: python solutions/12_chat_lora.py (every answer is checked by an assert).
Exercise 3 needs no model; exercises 1 and 4 ask the bundled chat model; exercises 1 and 2 train chat adapters
(a few steps on a few conversations with LORAKIT_FAST=1, tens of minutes on a CPU without).
"""
import math

import datasets
import torch

import lorakit
from lorakit.config import TrainConfig
from lorakit.data import bundled_data_dir, load_split
from lorakit.exercises import nb12
from lorakit.device import select_device
from lorakit.fast import pick
from lorakit.inference import predict
from lorakit.models import load_task_model, load_tokenizer
from lorakit.tasks import AskedTask, ChatTask, NerTask, SentimentTask, read_chat
from lorakit.train import prepare_model, train

MODEL_PATH = ChatTask.base_model()            # the bundled SmolLM2-135M-Instruct
device = select_device()
tokenizer = load_tokenizer(MODEL_PATH)
base = load_task_model("chat", None, MODEL_PATH).to(device).eval()
REPLY_TOKENS = pick(full=None, fast=8)        # None: each task's own limit
reviews = load_split("sentiment", "test").select(range(pick(full=100, fast=3)))
sizes = dict(max_train_examples=pick(full=600, fast=8), max_eval_examples=pick(full=30, fast=2),
             max_new_tokens=REPLY_TOKENS, seed=0)

# Exercise 1. A new wording. AskedTask asks with the task's canonical wording, `chat_instructions[0]`, so a
# subclass whose first instruction is ours asks with it, and parses and scores the replies as before.


class Reworded(SentimentTask):
    chat_instructions = ["How does the writer of the following text feel about it, positive or negative? "
                         "Just that word, please.\n\n$text"]


assert Reworded.chat_instructions[0] not in SentimentTask.chat_instructions       # never seen in training
assert nb12.check_1(Reworded.chat_instructions[0])
prompt = tokenizer.decode(AskedTask(Reworded()).encode(reviews.select([0]), tokenizer)["input_ids"][0])
assert "Just that word, please." in prompt and reviews[0]["text"] in prompt
assert prompt.endswith("<|im_start|>assistant\n")                                 # the generation prompt

lora = train(TrainConfig(task="chat", **sizes), progress=False)                  # r = 16, replay 0.3: the defaults
gold = [SentimentTask().labels[y] for y in reviews["label"]]
print("1.              wording     accuracy  unparsed")
for name, model in (("base model", base), ("LoRA", lora.model)):
    for wording, task in (("canonical", SentimentTask()), ("new", Reworded())):
        asked = AskedTask(task, max_new_tokens=REPLY_TOKENS)
        predictions = predict(model, tokenizer, asked, reviews)                  # a label, or None if unparsed
        scores = asked.metrics(reviews, predictions)
        assert scores["unparsed"] == sum(p is None for p in predictions)
        assert math.isclose(scores["accuracy"], sum(p == g for p, g in zip(predictions, gold)) / len(gold))
        print(f"   {name:<12} {wording:<10} {scores['accuracy']:9.3f} {scores['unparsed_percent']:8.1f} %")
# The training data words each task in ten ways, so a trained adapter has seen many wordings of the same
# request. If it follows instructions, accuracy stays about the same with a wording it never saw, and the
# replies stay one word (few unparsed); a large drop means it learned the wordings, not the request. Try also
# a wording that asks for another format ("Answer yes if the review is positive, else no"), and see whether
# the adapter follows it or answers in the format it was trained on. (In fast mode the replies are cut at a
# few tokens, so the base model's longer answers often do not parse.)

# Exercise 2. Trainable parameters by hand: the chat default ("top-2/3") adapts every linear layer of the top
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
assert nb12.check_2(counts)
print(f"2. {len(linear)} adapted layers; trainable parameters: r = 2 {counts[2]:,}, r = 32 {counts[32]:,}")

general = read_chat(bundled_data_dir() / "chat" / "general.jsonl", require_labels=False)
general = general.select(range(pick(full=len(general), fast=4)))
asker = ChatTask(max_new_tokens=pick(full=48, fast=8))    # 48 new tokens, as general_accuracy


def general_accuracy(model):
    return asker.metrics(general, predict(model, tokenizer, asker, general))["accuracy"]


train_rows = read_chat(bundled_data_dir() / "chat" / "train.jsonl").select(range(sizes["max_train_examples"]))
accuracy = {"base model": general_accuracy(base), "r = 16 (exercise 1)": general_accuracy(lora.model)}
for name, options in {"r = 2": dict(r=2), "r = 32": dict(r=32), "r = 16, replay 0": dict(replay=0.0)}.items():
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

# Exercise 3. Parsing NER replies. The reply must be JSON (a ```json fence is allowed): a list of [entity, type]
# pairs, as the training data teaches, or an object that maps each type to its entities, as untrained models
# often write; types that are not entity types are ignored; each entity is tagged where its words first occur
# untagged, and dropped if they do not occur: it then costs nothing, since the prediction is BIO tags on the
# sentence's own words.
ner = NerTask()
tokens = "Maria Lopez flew from Lima to Paris with Air France .".split()
row = {"tokens": tokens}
O = ["O"] * len(tokens)


def tags(**entities):
    """O everywhere but at the given (first token, last token): type."""
    out = list(O)
    for kind, spans in entities.items():
        for first, last in spans:
            out[first:last + 1] = [f"B-{kind}"] + [f"I-{kind}"] * (last - first)
    return out


gold_tags = tags(PER=[(0, 1)], LOC=[(4, 4), (6, 6)], ORG=[(8, 9)])
cases = {
    '[["Maria Lopez", "PER"], ["Lima", "LOC"], ["Paris", "LOC"], ["Air France", "ORG"]]': gold_tags,
    '{"PER": ["Maria Lopez"], "LOC": ["Lima", "Paris"], "ORG": ["Air France"]}': gold_tags,   # by type: same
    '```json\n[["Maria Lopez", "PER"]]\n```': tags(PER=[(0, 1)]),                 # a code fence is fine
    '[["Maria Lopez", "PER"], ["John Smith", "PER"]]': tags(PER=[(0, 1)]),        # not in the sentence: dropped
    '[["Paris", "LOC"], ["Paris", "LOC"]]': tags(LOC=[(6, 6)]),                   # only one Paris to tag
    '[["today", "DATE"], ["Lima", "LOC"]]': tags(LOC=[(4, 4)]),                   # unknown type ignored
    '[["Lima", "ORG"]]': tags(ORG=[(4, 4)]),                                      # wrong type: parsed
    '[]': O,                                                                      # no entities: parsed
    '[["Maria Lopez", "PER"]': None,                                              # broken JSON
    '[["Lima"]]': None,                                                           # not a pair
    '{"LOC": "Lima"}': None,                                                      # a string, not a list
    'Entities: [["Lima", "LOC"]]': None,                                          # text around the JSON
}
for reply, expected in cases.items():
    assert ner.from_reply(reply, row) == expected, (reply, ner.from_reply(reply, row))
assert nb12.check_3(tokens, cases)
gold_ids = [ner.labels.index(t) for t in gold_tags]
sentence = datasets.Dataset.from_dict({"tokens": [tokens], "ner_tags": [gold_ids]})      # one gold row
asked = AskedTask(ner)
print("3. reply                                               precision recall unparsed")
for reply in cases:
    m = asked.metrics(sentence, [ner.from_reply(reply, row)])                  # None -> all O, counted
    print(f"   {reply.replace(chr(10), ' ')[:52]:<52} {m['precision']:9.2f} {m['recall']:6.2f} {m['unparsed']:8d}")
    if cases[reply] is None:
        assert m["unparsed"] == 1 and m["recall"] == 0
# An entity that is not in the sentence is dropped, so it costs no precision; a wrong type (Lima as ORG) costs
# precision and recall; a missing entity costs recall only; an unparsed reply is scored as "no entities".
m = asked.metrics(sentence, [ner.from_reply('[["Lima", "ORG"]]', row)])
assert m["precision"] == 0 and m["recall"] == 0
m = asked.metrics(sentence, [ner.from_reply('[["Maria Lopez", "PER"], ["John Smith", "PER"]]', row)])
assert m["precision"] == 1 and m["recall"] == 0.25

# Exercise 4. Shots. Each shot adds one solved (question, reply) pair as earlier turns, so the prompt grows by
# about one example's length per shot, and the model sees the format it must answer in.
print("4. shots  prompt tokens  accuracy  unparsed")
lengths = []
shot_counts = pick(full=(0, 1, 3, 5), fast=(0, 1, 3))
for shots in shot_counts:
    asked = AskedTask(SentimentTask(), shots=shots, max_new_tokens=REPLY_TOKENS)
    prompt_ids = asked.encode(reviews.select([0]), tokenizer)["input_ids"][0]
    assert tokenizer.decode(prompt_ids).count("<|im_start|>assistant") == shots + 1   # K replies + the open turn
    lengths.append(len(prompt_ids))
    scores = asked.metrics(reviews, predict(base, tokenizer, asked, reviews))
    print(f"   {shots:5d} {len(prompt_ids):14d} {scores['accuracy']:9.3f} {scores['unparsed_percent']:8.1f} %")
assert lengths == sorted(lengths) and len(set(lengths)) == len(lengths)
assert nb12.check_4(dict(zip(shot_counts, lengths)))
# Compare the unparsed share first: the solved examples show the model the format to answer in. Whatever they
# add beyond that, their cost is the prompt: every question is read with all the shots before it.

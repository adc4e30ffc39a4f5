"""Solutions to the exercises of notebooks/12_chat_lora.ipynb.

Run from the repository root: python solutions/12_chat_lora.py (every answer is checked by an assert).
Both exercises ask the bundled chat model; exercise 1 trains a chat adapter (a few steps on a few
conversations with LORAKIT_FAST=1, minutes on a CPU without), which exercise 2 asks too.
"""
import math

import torch

from lorakit.config import TrainConfig
from lorakit.data import bundled_data_dir, load_split
from lorakit.device import select_device
from lorakit.exercises import nb12
from lorakit.fast import pick
from lorakit.inference import predict
from lorakit.models import load_task_model, load_tokenizer
from lorakit.tasks import IGNORE_INDEX, AskedTask, ChatTask, SentimentTask, read_chat
from lorakit.train import train

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

# Exercise 2. Shots. Each shot adds one solved (question, reply) pair as earlier turns, so the prompt grows by
# about one example's length per shot, and the model sees the format it must answer in.
first = reviews.select([0])
lengths = {k: len(AskedTask(SentimentTask(), shots=k).encode(first, tokenizer)["input_ids"][0]) for k in (0, 1, 3, 5)}
assert list(lengths.values()) == sorted(lengths.values()) and len(set(lengths.values())) == 4
assert nb12.check_2(lengths)
print("2.          shots  prompt tokens  accuracy  unparsed")
shot_counts = pick(full=(0, 1, 3, 5), fast=(0, 1, 3))     # the accuracies take generation: fewer in fast mode
for name, model, counts in (("base model", base, shot_counts), ("LoRA", lora.model, (0,))):
    for shots in counts:
        asked = AskedTask(SentimentTask(), shots=shots, max_new_tokens=REPLY_TOKENS)
        prompt_ids = asked.encode(first, tokenizer)["input_ids"][0]
        assert tokenizer.decode(prompt_ids).count("<|im_start|>assistant") == shots + 1   # K replies + the open turn
        assert len(prompt_ids) == lengths[shots]
        scores = asked.metrics(reviews, predict(model, tokenizer, asked, reviews))
        print(f"   {name:<12} {shots:5d} {len(prompt_ids):14d} {scores['accuracy']:9.3f} "
              f"{scores['unparsed_percent']:8.1f} %")
# Compare the unparsed share first: the solved examples show the model the format to answer in. Whatever they
# add beyond that, their cost is the prompt: every question is read with all the shots before it, while the
# adapter is asked with the 0-shot prompt and has learned the format in training.

# Check your understanding.
# 1. The loss scores the reply and the <|im_end|> that ends it; everything the model is given (the system and
#    user turns, the generation prompt) and the template's newline after the reply stay at -100.
conversation = read_chat(bundled_data_dir() / "chat" / "train.jsonl")[0]["messages"]
ids, labels = ChatTask().encode_one(conversation, tokenizer, train=True)
scored_text = tokenizer.decode([t for t, label in zip(ids, labels) if label != IGNORE_INDEX])
assert scored_text == conversation[-1]["content"] + "<|im_end|>" and labels[-1] == IGNORE_INDEX
scored = {"the system turn": False, "the user's turn": False, "<|im_start|>assistant and its newline": False,
          "the reply": True, "the <|im_end|> after the reply": True, "the newline after that <|im_end|>": False}
assert nb12.question_1(scored)
# 2. The masked loss is the mean over the 20 scored tokens, 0.5; over all 200 tokens it is
#    (20 x 0.5 + 180 x 3.0) / 200 = 2.75: the prompt tokens dominate it.
per_token = torch.cat([torch.full((20,), 0.5), torch.full((180,), 3.0)])
is_scored = torch.arange(200) < 20
masked, unmasked = per_token[is_scored].mean().item(), per_token.mean().item()
assert nb12.question_2(masked, unmasked)
# 3. Right-padded to the longest, 120: 4 x 120 = 480 positions, 240 of them real, so half are padding.
lengths_in_batch = [120, 60, 40, 20]
padding = 1 - sum(lengths_in_batch) / (len(lengths_in_batch) * max(lengths_in_batch))
assert nb12.question_3(padding)
print(f"questions: masked loss {masked:.2f}, over all tokens {unmasked:.2f}; padding share {padding:.2f}")

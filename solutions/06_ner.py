"""Solutions to the exercises of notebooks/06_ner.ipynb.

Run from the repository root: python solutions/06_ner.py (every answer is checked by an assert).
Exercises 1-4 need no training; exercise 5 trains once (seconds with LORAKIT_FAST=1, minutes without).
"""
import math

import datasets
from seqeval.metrics import f1_score
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2

import lorakit
from lorakit import lowrank
from lorakit.data import load_task_data
from lorakit.exercises import nb06
from lorakit.tasks import NER_TAGS
from lorakit.fast import pick
from lorakit.models import load_tokenizer
from lorakit.tasks import align_labels_with_tokens, continuation_labels, get_task
from lorakit.config import TrainConfig
from lorakit.train import prepare_model, train

tokenizer = load_tokenizer()
ner = get_task("ner")
tag = {name: i for i, name in enumerate(NER_TAGS)}

# Exercise 1. With label_all_tokens=True a later piece of a word gets a label too: I-X when the word is
# tagged B-X (the piece continues the entity, it does not start a new one), else the word's own tag.
words = ["Florencia", "Medina", "(", "Uzbekistan", ")", "beat", "Eleni", "Jordan"]
tags = [tag[t] for t in ["B-PER", "I-PER", "O", "B-LOC", "O", "O", "B-PER", "I-PER"]]
word_ids = tokenizer(words, is_split_into_words=True).word_ids()
inside = {i: tag.get("I-" + name[2:], i) if name.startswith("B-") else i for i, name in enumerate(NER_TAGS)}
by_hand, previous = [], None
for word in word_ids:
    if word is None:
        by_hand.append(-100)
    elif word != previous:
        by_hand.append(tags[word])
    else:
        by_hand.append(inside[tags[word]])
    previous = word
assert by_hand == align_labels_with_tokens(word_ids, tags, True, continuation_labels(NER_TAGS))
features = get_task("ner", label_all_tokens=True).encode(
    datasets.Dataset.from_dict({"tokens": [words], "ner_tags": [tags]}), tokenizer)
assert features[0]["labels"] == by_hand
pieces = tokenizer(words, is_split_into_words=True).tokens()
print("1.", [(p, NER_TAGS[l] if l >= 0 else -100) for p, l in zip(pieces, by_hand)][:5], "...")
assert [NER_TAGS[l] for l in by_hand[1:4]] == ["B-PER", "I-PER", "I-PER"]   # fl ##ore ##ncia
assert nb06.check_1(by_hand, word_ids, tags)

# Exercise 2. An entity is (sentence, type, first word, last word); a prediction is right only when all four
# match. precision = right / predicted, recall = right / gold.
gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "O", "B-MISC"], ["O", "B-PER", "O", "O"]]
pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O", "O", "B-MISC"], ["O", "B-PER", "B-LOC", "O"]]


def entity_set(sentences):
    return {(i, kind, s, e) for i, tags in enumerate(sentences) for kind, s, e in get_entities(tags)}


G, P = entity_set(gold), entity_set(pred)
right = len(G & P)                                   # the first PER, the MISC, the last PER
precision, recall = right / len(P), right / len(G)
f1 = 2 * precision * recall / (precision + recall)
data = datasets.Dataset.from_dict({"tokens": [["w"] * 4 for _ in gold],
                                   "ner_tags": [[tag[t] for t in g] for g in gold]})
m = ner.metrics(data, pred)
assert (right, len(P), len(G)) == (3, 6, 5)
assert math.isclose(m["precision"], precision) and math.isclose(m["recall"], recall) and math.isclose(m["f1"], f1)
assert nb06.check_2(gold, pred, precision, recall, f1)
print(f"2. precision {precision:.3f} = 3/6, recall {recall:.3f} = 3/5, F1 {f1:.3f}: as seqeval")

# Exercise 3. An entity that starts with I- (no B-) is invalid in IOB2. seqeval's default mode (CoNLL's
# conlleval rules, what lorakit uses) reads it as an entity anyway; strict mode drops it.
gold3, pred3 = [["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]]
default, strict = f1_score(gold3, pred3), f1_score(gold3, pred3, mode="strict", scheme=IOB2)
assert default == 1.0 and strict == 0.0
assert ner.metrics(datasets.Dataset.from_dict({"tokens": [["Ada", "Lovelace", "spoke"]],
                                              "ner_tags": [[1, 2, 0]]}), pred3)["f1"] == default
assert nb06.check_3(gold3, pred3)
print(f"3. I-PER I-PER: default mode F1 {default}, strict IOB2 F1 {strict}")

# Exercise 4. To score F1 = 0 every gold entity must be wrong, and every predicted entity too; spoiling an
# entity costs at least one token (retag a one-word entity's type, cut off the last word of a longer one).
# So token accuracy is at most 1 - entities / tokens: it cannot reach 100 %, and the ceiling depends on
# how dense the entities are (about 84 % on the bundled test split, so not "above 90 %").
test = load_task_data("ner", max_examples=pick(full=None, fast=200))["test"]
spoiled, n_tokens, n_entities = [], 0, 0
swap = {"PER": "ORG", "ORG": "LOC", "LOC": "MISC", "MISC": "PER"}
for tag_ids in test["ner_tags"]:
    tags = [NER_TAGS[t] for t in tag_ids]
    out = list(tags)
    for kind, s, e in get_entities(tags):
        if s == e:
            out[s] = "B-" + swap[kind]          # one word: the wrong type
        else:
            out[e] = "O"                        # several words: one word too short
    spoiled.append(out)
    n_tokens += len(tags)
    n_entities += len(get_entities(tags))
accuracy = sum(g == p for gs, ps in zip(test["ner_tags"], spoiled) for g, p in zip(gs, [tag[t] for t in ps])) / n_tokens
assert ner.metrics(test, spoiled)["f1"] == 0.0
assert math.isclose(accuracy, 1 - n_entities / n_tokens)
assert nb06.check_4(test["ner_tags"], spoiled, accuracy)
print(f"4. token accuracy {accuracy:.1%} (= 1 - {n_entities} entities / {n_tokens} tokens) with entity F1 0")

# Exercise 5. "all-linear" adapts every Linear layer of the encoder: in each of the 6 layers query, key,
# value and the attention output (384 -> 384), the feed-forward up (384 -> 1536) and down (1536 -> 384)
# projections. A token-classification BERT has no pooler. Plus the head, 384 * 9 + 9.
per_layer = 4 * lowrank.lora_param_count(384, 384, 8) + 2 * lowrank.lora_param_count(384, 1536, 8)
predicted = 6 * per_layer + 384 * 9 + 9
model = prepare_model("ner", NER_TAGS, TrainConfig(task="ner", target_modules="all-linear", r=8))
assert lorakit.count_parameters(model)[0] == predicted == 335_241
assert nb06.check_5(predicted)
print(f"5. all-linear, r=8: {predicted:,} trainable parameters (query and value only: 77,193)")

result = train(TrainConfig(task="ner", target_modules="all-linear", seed=0,
                           max_train_examples=pick(full=None, fast=200),
                           max_eval_examples=pick(full=None, fast=100), epochs=pick(full=None, fast=1)),
               progress=False)
assert result.metrics["trainable_params"] == predicted
print(f"   all-linear: validation F1 {result.metrics['f1']:.3f} in {result.metrics['train_seconds']:.0f} s")
# Compare with the notebook's run on query and value (same data, seed and epochs). All-linear adapts the
# feed-forward layers too, where most of a transformer's weights are: more to change per step, at four
# times the LoRA parameters and a slower step. Whether that buys F1 shows only in a full run; in fast mode
# (a few steps) the difference is noise.

# Check your understanding.
# Question 1. [CLS] ada love ##lace spoke [SEP]: the first piece of each word takes its tag (B-PER, I-PER,
# O), the later piece ##lace and the special tokens -100.
labels = [-100, NER_TAGS.index("B-PER"), NER_TAGS.index("I-PER"), -100, NER_TAGS.index("O"), -100]
assert labels == align_labels_with_tokens(nb06.Q1_WORD_IDS, nb06.Q1_TAGS)
assert nb06.question_1(labels)
# Question 2. Gold ORG (words 0-1) and LOC (word 3); predicted ORG (0-1) and PER (3): one of two predicted
# entities is right and one of two gold ones found, so precision = recall = F1 = 1/2. Three of the four
# tags match: token accuracy 3/4.
entity_f1, token_acc = 1 / 2, 3 / 4
assert nb06.seqeval_scores([nb06.Q2_GOLD], [nb06.Q2_PREDICTED]) == (entity_f1, entity_f1, entity_f1)
assert nb06.question_2(entity_f1, token_acc)
# Question 3. (b): the attention mask hides the padding from the model, not from the loss.
assert nb06.question_3("b")
print(f"questions: labels {labels}; entity F1 {entity_f1}, token accuracy {token_acc}; (b)")

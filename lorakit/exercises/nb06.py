"""Checkers for the exercises of lesson 06 (named entities with LoRA). Each returns a `Verdict`.

Tags are names ("B-PER") in predictions and ids into `lorakit.tasks.NER_TAGS` in gold data, as in
the notebook. Exercises 1-4 check your answer against seqeval and lorakit's alignment on the inputs
you give; exercise 5 counts the parameters of the model that `prepare_model` builds (no training).
Questions 1-3 ("Check your understanding") take labels, two scores or a letter.

Example:
    >>> check_3([["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]])
    Exercise 3: not yet: this prediction scores the same F1 in both modes; an entity that starts with I- (no B- before it) is read differently by the two.
"""
import functools

from . import build_task, close, question, verdict


def as_names(tags):
    """Tag names of a sentence whose tags are names or ids into NER_TAGS."""
    from ..tasks import NER_TAGS
    return [NER_TAGS[t] if isinstance(t, int) else t for t in tags]


def seqeval_scores(gold, predicted):
    """(precision, recall, f1) of NerTask.metrics for gold and predicted tag sequences."""
    import datasets

    from ..tasks import NER_TAGS
    ids = [[NER_TAGS.index(t) for t in as_names(tags)] for tags in gold]
    data = datasets.Dataset.from_dict({"tokens": [["w"] * len(t) for t in ids], "ner_tags": ids})
    m = build_task("ner").metrics(data, [as_names(p) for p in predicted])
    return m["precision"], m["recall"], m["f1"]


def check_1(labels, word_ids, tags):
    """Exercise 1: `labels`, one label id per token with label_all_tokens=True, for a sentence whose
    tokens come from `word_ids` (encoding.word_ids()) and whose words carry tag ids `tags`.

    >>> check_1([-100, 1, 1, 0, -100], [None, 0, 0, 1, None], [1, 0])
    Exercise 1: not yet: token 2 is a later piece of a word tagged B-X; it continues the entity, so it takes I-X, not B-X.
    """
    from ..tasks import NER_TAGS, align_labels_with_tokens, continuation_labels
    expected = align_labels_with_tokens(word_ids, tags, True, continuation_labels(NER_TAGS))
    labels = list(labels)
    if len(labels) != len(expected):
        return verdict(1, [f"there should be one label per token ({len(word_ids)} tokens), not {len(labels)}"])
    problems, previous = [], None
    for i, (word, got, want) in enumerate(zip(word_ids, labels, expected)):
        if got != want and not problems:
            if word is None:
                problems.append(f"token {i} is a special token ([CLS] or [SEP]); the loss must ignore it")
            elif word != previous:
                problems.append(f"token {i} is the first piece of word {word}; it takes the word's own tag")
            elif NER_TAGS[tags[word]].startswith("B-"):
                problems.append(f"token {i} is a later piece of a word tagged B-X; it continues the entity, "
                                "so it takes I-X, not B-X" if got == tags[word] else
                                f"token {i} is a later piece of a word tagged B-X; it should continue that entity")
            else:
                problems.append(f"token {i} is a later piece of a word not tagged B-X; it takes the word's own tag")
        previous = word
    return verdict(1, problems)


def check_2(gold, predicted, precision, recall, f1):
    """Exercise 2: entity precision, recall and F1 (0-1) of `predicted` against `gold` (lists of
    sentences of tags), computed by hand.

    >>> check_2([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "O", "O", "B-LOC"]], 0.5, 0.5, 0.5)
    Exercise 2: correct.
    """
    right = seqeval_scores(gold, predicted)
    problems = [f"your {name} is not what counting entities (type, first word, last word) gives"
                for name, value, target in zip(("precision", "recall", "F1"), (precision, recall, f1), right)
                if not close(value, target, abs_=1e-9)]
    if problems and all(close(v, 100 * t, abs_=1e-6) for v, t in zip((precision, recall, f1), right)):
        problems = ["give the scores as fractions between 0 and 1, not percentages"]
    n_gold = sum(1 for tags in gold for t in as_names(tags) if t.startswith("B-"))
    if not problems and n_gold < 2:
        problems.append("use gold sentences with at least two entities, so that a miss shows in the recall")
    return verdict(2, problems)


def check_3(gold, predicted):
    """Exercise 3: a prediction whose entity F1 differs between seqeval's default mode and its
    strict IOB2 mode.

    >>> check_3([["B-LOC", "O"]], [["I-LOC", "O"]])
    Exercise 3: correct.
    """
    from seqeval.metrics import f1_score
    from seqeval.scheme import IOB2
    gold = [as_names(g) for g in gold]
    predicted = [as_names(p) for p in predicted]
    if [len(g) for g in gold] != [len(p) for p in predicted]:
        return verdict(3, ["each predicted sentence needs one tag per gold tag"])
    if f1_score(gold, predicted) == f1_score(gold, predicted, mode="strict", scheme=IOB2):
        return verdict(3, ["this prediction scores the same F1 in both modes; an entity that starts with I- "
                           "(no B- before it) is read differently by the two"])
    return verdict(3, [])


def check_4(gold, predicted, accuracy):
    """Exercise 4: `predicted` for the sentences `gold` (tags as names or ids) with entity F1 0 and
    the highest token accuracy possible; `accuracy` is the token accuracy you measured (0-1).

    >>> check_4([["B-PER", "I-PER", "O"]], [["O", "O", "O"]], 1 / 3)
    Exercise 4: not yet: F1 is 0, but you can keep more tokens right: one wrong token per gold entity is enough to spoil it.
    """
    from seqeval.metrics.sequence_labeling import get_entities
    gold = [as_names(g) for g in gold]
    predicted = [as_names(p) for p in predicted]
    if [len(g) for g in gold] != [len(p) for p in predicted]:
        return verdict(4, ["each predicted sentence needs one tag per gold tag"])
    pairs = [(g, p) for gs, ps in zip(gold, predicted) for g, p in zip(gs, ps)]
    measured = sum(g == p for g, p in pairs) / len(pairs)
    ceiling = 1 - sum(len(get_entities(g)) for g in gold) / len(pairs)
    problems = []
    if seqeval_scores(gold, predicted)[2] > 0:
        problems.append("some predicted entity is still right: the entity F1 must be 0")
    elif measured < ceiling - 1e-9:
        problems.append("F1 is 0, but you can keep more tokens right: one wrong token per gold entity is "
                        "enough to spoil it")
    if not close(accuracy, measured, abs_=1e-9):
        problems.append("the accuracy you give is not the token accuracy of your prediction")
    return verdict(4, problems)


@functools.lru_cache(maxsize=4)
def trainable_params(target_modules, r):
    """Trainable parameters of the bundled NER model with LoRA rank r on `target_modules`."""
    from ..config import TrainConfig
    from ..lora import count_parameters
    from ..tasks import NER_TAGS
    from ..train import prepare_model
    targets = target_modules if target_modules == "all-linear" else list(target_modules)
    model = prepare_model("ner", NER_TAGS, TrainConfig(task="ner", target_modules=targets, r=r))
    return count_parameters(model)[0]


def check_5(predicted):
    """Exercise 5: the trainable parameters of LoRA r = 8 on every Linear layer ("all-linear") of the
    bundled NER model, head included, predicted before training.

    >>> check_5(77_193)
    Exercise 5: not yet: that is the count for query and value only; all-linear also adapts key, the attention output and both feed-forward layers.
    """
    target = trainable_params("all-linear", 8)
    problems = []
    if predicted == trainable_params(("query", "value"), 8):
        problems.append("that is the count for query and value only; all-linear also adapts key, the attention "
                        "output and both feed-forward layers")
    elif predicted == target - (384 * 9 + 9):
        problems.append("the token-classification head (384 x 9 weights and 9 biases) is trained too")
    elif predicted != target:
        problems.append("count r (d_in + d_out) for each adapted Linear layer of the 6 encoder layers "
                        "(the feed-forward layers are 384 -> 1536 and 1536 -> 384), plus the head")
    return verdict(5, problems)


# "Check your understanding". Each question takes your answer; `...` (the notebook's placeholder) is no answer.
# Question 1's sentence: "Ada Lovelace spoke" -> [CLS] ada love ##lace spoke [SEP], tagged B-PER I-PER O.
Q1_TOKENS = ["[CLS]", "ada", "love", "##lace", "spoke", "[SEP]"]
Q1_WORD_IDS = [None, 0, 1, 1, 2, None]
Q1_TAGS = [1, 2, 0]                                 # ids into NER_TAGS: B-PER I-PER O
# Question 2's sentence: gold and predicted tags of four words.
Q2_GOLD = ["B-ORG", "I-ORG", "O", "B-LOC"]
Q2_PREDICTED = ["B-ORG", "I-ORG", "O", "B-PER"]


def question_1(labels):
    """Question 1: the training label of each token of question 1's sentence (ids into NER_TAGS,
    -100 where the loss does not score), with the notebook's rule (first piece only).

    >>> question_1([-100, 1, 2, 2, 0, -100])
    Question 1: not yet: token 3 (##lace) is a later piece of a word: the first-piece rule leaves it out of the loss.
    """
    from ..tasks import align_labels_with_tokens
    if labels is ...:
        return question(1, ["replace ... with your answer"])
    labels, expected = list(labels), align_labels_with_tokens(Q1_WORD_IDS, Q1_TAGS)
    if len(labels) != len(expected):
        return question(1, [f"give one label per token: {len(Q1_TOKENS)} tokens"])
    for i, (word, got, want) in enumerate(zip(Q1_WORD_IDS, labels, expected)):
        if got == want:
            continue
        if word is None:
            return question(1, [f"token {i} ({Q1_TOKENS[i]}) belongs to no word: the loss must not score it"])
        if i == Q1_WORD_IDS.index(word):
            return question(1, [f"token {i} ({Q1_TOKENS[i]}) is the first piece of a word: it takes that word's tag id"])
        return question(1, [f"token {i} ({Q1_TOKENS[i]}) is a later piece of a word: the first-piece rule leaves "
                            "it out of the loss"])
    return question(1, [])


def question_2(entity_f1, token_accuracy):
    """Question 2: entity F1 and token accuracy (0-1) of question 2's prediction against its gold tags.

    >>> question_2(0.75, 0.75)
    Question 2: not yet: entity F1 counts whole entities, right only when both the span and the type match.
    """
    if entity_f1 is ... or token_accuracy is ...:
        return question(2, ["replace each ... with your answer"])
    f1 = seqeval_scores([Q2_GOLD], [Q2_PREDICTED])[2]
    accuracy = sum(g == p for g, p in zip(Q2_GOLD, Q2_PREDICTED)) / len(Q2_GOLD)
    problems = []
    if not close(entity_f1, f1, abs_=5e-3):
        problems.append("entity F1 counts whole entities, right only when both the span and the type match")
    if not close(token_accuracy, accuracy, abs_=5e-3):
        problems.append("token accuracy is the share of words whose tag matches, O included")
    return question(2, problems)


def question_3(choice):
    """Question 3: what goes wrong when the labels are padded with the id of O instead of -100?
    (a) nothing: the attention mask keeps the padding out of the loss; (b) the loss scores the padding
    too, nearly all of it O, which pulls the model toward O; (c) the model reads the padding as words.

    >>> question_3("a")
    Question 3: not yet: the attention mask keeps the model from reading the padding, not the loss from scoring its labels.
    """
    if choice is ...:
        return question(3, ["replace ... with a, b or c"])
    hints = {"b": None,
             "a": "the attention mask keeps the model from reading the padding, not the loss from scoring its labels",
             "c": "the attention mask keeps the model from reading the padding; what changes is what the loss scores"}
    choice = str(choice).strip().lower().strip("()")
    if choice not in hints:
        return question(3, ["answer with a, b or c"])
    return question(3, [hints[choice]] if hints[choice] else [])

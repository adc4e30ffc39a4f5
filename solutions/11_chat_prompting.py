"""Solutions to the exercises of notebooks/11_chat_prompting.ipynb.

Run from the repository root: python solutions/11_chat_prompting.py (every answer is checked by an assert).
Exercise 1 needs no model; exercise 2 needs the bundled chat model's tokenizer.
"""
import datasets

from lorakit.data import load_split
from lorakit.exercises import nb11
from lorakit.models import load_tokenizer
from lorakit.tasks import AskedTask, ChatTask, NerTask, SentimentTask

# Exercise 1. Parsing NER replies. The reply must be JSON (a ```json fence is allowed): a list of [entity, type]
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
assert nb11.check_1(tokens, cases)
gold_ids = [ner.labels.index(t) for t in gold_tags]
sentence = datasets.Dataset.from_dict({"tokens": [tokens], "ner_tags": [gold_ids]})      # one gold row
asked = AskedTask(ner)
print("1. reply                                               precision recall unparsed")
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

# Exercise 2. The template by hand. SmolLM2's template writes each turn as <|im_start|>role, a newline, the
# content, <|im_end|> and a newline; a conversation without a system turn gets its default one first; the
# generation prompt opens the assistant's turn. The user's turn is the task's canonical instruction
# (SentimentTask.chat_instructions[0]) with the review in place of $text.
review = load_split("sentiment", "test")[0]
question = SentimentTask.chat_instructions[0].replace("$text", review["text"])
SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


def turn(role, content):
    return f"<|im_start|>{role}\n{content}<|im_end|>\n"


text = turn("system", SYSTEM) + turn("user", question) + "<|im_start|>assistant\n"
assert nb11.check_2(text)
tokenizer = load_tokenizer(ChatTask.base_model())
ids = AskedTask(SentimentTask()).encode(load_split("sentiment", "test").select([0]), tokenizer)["input_ids"][0]
assert tokenizer(text, add_special_tokens=False)["input_ids"] == list(ids)    # the same ids, token for token
# Tokenizing the text gives the template's ids because the markers are special tokens the tokenizer knows
# by name; a missing newline or space would change the tokens, and the model would see a format it never learned.
print(f"2. the prompt by hand: {len(ids)} tokens, the same ids as AskedTask.encode")
print(text)

# Check your understanding.
# 1. A zero-shot question is one user turn; the template writes its default system turn before it, and the
#    generation prompt opens the assistant's turn.
prompt = tokenizer.decode(ids)
roles = [part.split("\n", 1)[0] for part in prompt.split("<|im_start|>")[1:]]
assert roles == ["system", "user", "assistant"]
assert nb11.question_1(roles)
# 2. (b): as bare text, the likeliest next token is <|im_end|>, which closes the user's turn; `generate` cuts
#    the reply there, so it is empty. The model does answer the same question inside its template.
assert nb11.question_2("b")
# 3. The shots' cost: the 3-shot prompt's tokens minus the 0-shot prompt's.
sentiment_test = load_split("sentiment", "test").select([0])
length = {k: len(AskedTask(SentimentTask(), shots=k).encode(sentiment_test, tokenizer)["input_ids"][0]) for k in (0, 3)}
assert nb11.question_3(length[3] - length[0])
print(f"questions: roles {roles}; 3 shots add {length[3] - length[0]} prompt tokens to {length[0]}")

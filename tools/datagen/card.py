"""The data card (`data/README.md`): every number in it is computed from the generated data."""
from collections import Counter
from fractions import Fraction

from .chat import CANONICAL_SHARE, GENERAL, REPLAY_PROMPTS, TASKS as CHAT_TASKS
from .names import SHARED, SPLITS
from .sentiment import normalise


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _pct(a, b):
    return f"{100 * a / b:.0f}%" if b else "-"


def _threads(n):
    """'1 CPU thread', '2 CPU threads'."""
    return f"{n} CPU thread{'s' if n != 1 else ''}"


def _sentences(text):
    return sum(text.count(c) for c in ".!?") or 1


def _sentiment_rows(data):
    rows = []
    for s in SPLITS:
        rs = data[s]
        n = len(rs)
        lab = Counter(r["label"] for r in rs)
        kinds = Counter(k for r in rs for k in r["kinds"])
        hard = sum(bool(r["kinds"]) for r in rs)
        words = [len(r["text"].split()) for r in rs]
        rows.append([s, n, lab["positive"], lab["negative"], f"{hard} ({_pct(hard, n)})",
                     kinds["negation"], kinds["contrast"], kinds["implied"], kinds["rating"],
                     kinds["reversal"], sum(w <= 4 for w in words),
                     sum(_sentences(r["text"]) >= 3 for r in rs), f"{sum(words) / n:.1f}"])
    return rows


def _ner_rows(data, entities):
    rows, types = [], ["PER", "ORG", "LOC", "MISC"]
    for s in SPLITS:
        sents = data[s]
        ents = [e for toks, tags in sents for e in entities(toks, tags)]
        c = Counter(t for t, _ in ents)
        multi = sum(len(text.split()) > 1 for _, text in ents)
        none = sum(all(g == "O" for g in tags) for _, tags in sents)
        amb = sum(any(text in SHARED for _, text in entities(toks, tags)) for toks, tags in sents)
        rows.append([s, len(sents), sum(len(t) for t, _ in sents)] + [c[t] for t in types]
                    + [_pct(multi, len(ents)), f"{none} ({_pct(none, len(sents))})", amb])
    return rows


def _qa_rows(data):
    rows = []
    for s in SPLITS:
        paras = data[s]
        words = [len(p["context"].split()) for p in paras]
        qs = sum(len(p["qas"]) for p in paras)
        rows.append([s, len({p["title"] for p in paras}), len(paras), qs,
                     f"{min(words)} / {sum(words) / len(words):.0f} / {max(words)}"])
    return rows


def _quoted(text):
    """`text` as a Markdown block quote."""
    return "\n".join("> " + line if line else ">" for line in text.split("\n"))


def _chat_rows(conversations):
    rows = []
    for s in SPLITS:
        records = conversations[s]
        canonical = sum(r["_variant"] == 0 for r in records)
        paragraphs = len({r["_row"]["context"] for r in records if r["task"] == "qa"})
        rows.append([s] + [sum(r["task"] == t for r in records) for t in CHAT_TASKS]
                    + [len(records), f"{canonical} ({_pct(canonical, len(records))})", paragraphs])
    return rows


def _chat_section(conversations, tasks, measured, digests):
    """The card's chat section: the conversations, the general questions, the replay answers."""
    example = {}
    for t in CHAT_TASKS:          # the first test conversation of each task, canonical and not
        records = [r for r in conversations["test"] if r["task"] == t]
        example[t] = (next(r for r in records if r["_variant"] == 0), next(r for r in records if r["_variant"] > 0))
    n_general = sum(len(qs) for qs in GENERAL.values())
    n_prompts = sum(len(ps) for ps in REPLAY_PROMPTS.values())
    general_topics = ", ".join(f"{topic} {len(qs)}" for topic, qs in GENERAL.items())
    prompt_kinds = ", ".join(f"{kind} {len(ps)}" for kind, ps in REPLAY_PROMPTS.items())
    if measured:
        g, r = measured["general"], measured["replay"]
        base = (f"Measured by `tools/make_replay.py` ({measured['model']}, greedy, at most "
                f"{g['max_new_tokens']} new tokens, its own chat template and system prompt): the base model "
                f"answers **{g['correct']} of {g['questions']} ({100 * g['accuracy']:.0f}%)** right.\n\n"
                f"<details><summary>The questions it gets wrong, and its replies</summary>\n\n"
                + "\n".join(f"- {w['question']} *{' '.join(w['reply'].split())}*" for w in g["wrong"])
                + "\n\n</details>")
        replay = (f"`replay.jsonl` holds {r['conversations']} conversations ({r['bytes']:,} bytes, sha256 "
                  f"{r['sha256'][:16]}): the base model's greedy replies of at most {r['max_new_tokens']} tokens, "
                  f"made with {_threads(r['threads'])} in batches of {r['batch_size']} ({measured['software']}). "
                  f"{r['trimmed']} replies reached the limit and were cut after their last whole sentence or "
                  f"line; {r['dropped']} of them had none and were left out.")
        if r["rerun"]:
            again = r["rerun"]
            replay += (f" Answering the prompts again with {_threads(again['threads'])} in batches of "
                       f"{again['batch_size']} changed {again['differing_replies']} of the {r['prompts']} replies.")
    else:
        base = "Not measured yet: run `python tools/make_replay.py`, then this generator again."
        replay = "Not made yet: run `python tools/make_replay.py`."
    chat_files = [p for p in sorted(digests) if p.startswith("chat/")]
    return f"""## Chat (`chat/*.jsonl`)

JSON Lines, one conversation a line in the conversational format of TRL and most tools:
`{{"messages": [{{"role": "user", "content": ...}}, {{"role": "assistant", "content": ...}}], "task": "ner"}}`
(the `"task"` key is metadata). There is no system turn: the model's chat template adds its own.

**How they were made.** The conversations of each split are made from the rows of the same split
above (train from train, validation from validation, test from test), through each task's own
`to_chat` (in `lorakit/tasks/sentiment.py`, `ner.py` and `qa.py`), which also parses replies back
(`from_reply`) when a chat model is scored with the task's own metrics. Sentiment rows are chosen
half positive, half negative; NER sentences at random; QA questions one per paragraph, in random
order, before any paragraph gets a second. Each task words its question in
{" / ".join(str(len(tasks[t].chat_instructions)) for t in CHAT_TASKS)} ways (sentiment / NER / QA):
terse and polite, instruction first and text first. In every split, {Fraction(CANONICAL_SHARE).limit_denominator(12)} of each
task's conversations (rounded up) use the first, canonical wording, the one that
`lorakit predict --task T` asks with; the rest cycle through the others. Each split is shuffled.

{_table(["split"] + list(CHAT_TASKS) + ["total", "canonical wording", "QA paragraphs"], _chat_rows(conversations))}

**Replies.** Sentiment: one word, `positive` or `negative`. NER: a compact JSON list of
[entity, type] pairs in sentence order (the entity's tokens joined by single spaces; types PER,
ORG, LOC, MISC), repeats kept; `[]` when there is none. The sentence is shown as its tokens joined
by spaces. QA: the answer copied exactly from the passage.
Two test conversations of each task, the canonical wording first:

{chr(10).join(f"- {t}:{chr(10)}{chr(10)}" + chr(10).join(_quoted(f"**user:** {r['messages'][0]['content']}{chr(10)}{chr(10)}**assistant:** {r['messages'][1]['content']}") + chr(10) for r in example[t]) for t in CHAT_TASKS)}
**General questions (`general.jsonl`).** {n_general} easy general-knowledge questions, written by
hand for this course, one a line with the answers that count as right:
`{{"messages": [{{"role": "user", "content": "What is the capital of France?"}}], "answers": ["Paris"]}}`.
A reply is right when it contains one of the answers as whole words, in any case. They measure
forgetting: a model fine-tuned on the three tasks should still answer them as the base model did.
Topics: {general_topics}. {base}

**Replay (`replay_prompts.jsonl`, `replay.jsonl`).** {n_prompts} other general requests, written by
hand (none of them a general question above or a rewording of one): {prompt_kinds}.
`tools/make_replay.py` has the base model SmolLM2-135M-Instruct answer each one, and training mixes
these answers into the task conversations, so that the model keeps its general behaviour while it
learns the tasks (replay, against forgetting). {replay} Unlike the files above, `replay.jsonl` and
`base_model.json` depend on the model, the library versions and the machine's floating-point
arithmetic, not only on this generator, so another CPU may give other bytes; remake them with:

```
python tools/make_replay.py      # writes chat/replay.jsonl and chat/base_model.json
python tools/make_data.py        # then the card, with what it measured
```

Files of this section: {", ".join(f"`{p}`" for p in chat_files)}, `chat/replay.jsonl`, `chat/base_model.json`.

"""


def _handwritten_section(data, texts):
    """What the card says of the hand-written reviews, with those the generator also wrote."""
    generated = {normalise(r["text"]) for s in SPLITS for r in data["sentiment"][s]}
    shared = [t for t in texts if normalise(t) in generated]
    also = (f"{len(shared)} of them are stock phrases that the generator writes too ("
            + ", ".join(f'"{t}"' for t in shared) + ")") if shared else "none of them is a generated text"
    return f"""`sentiment/handwritten.csv` (same format) holds {len(texts)} reviews and headlines written by
hand, half positive and half negative, by someone who had not seen the generator: plain opinions
and the hard kinds above in real wording, and some sarcasm, which the generator never writes. No
model is trained on them; they test whether what a model learned from the generated splits
carries over to real language (lesson 05). Compared with the generated texts (case and spacing ignored):
{also}.
"""


def render(data, pools, digests, sizes, seed, entities, chat=None, handwritten=()):
    """Markdown text of the data card; `chat` is (conversations, tasks, base-model measurements),
    `handwritten` the hand-written reviews' texts."""
    kinds_q = {s: Counter(q[1] for p in data["qa"][s] for q in p["qas"]) for s in SPLITS}
    qkinds = sorted({k for c in kinds_q.values() for k in c})
    topics = Counter(p["topic"] for s in SPLITS for p in data["qa"][s])
    domains = Counter(r["domain"] for s in SPLITS for r in data["sentiment"][s])
    held = {s: pools[s].held_out() for s in SPLITS}
    kinds = list(held["train"])
    total = sum(b for b, _ in digests.values())
    ner_types = Counter(t for s in SPLITS for toks, tags in data["ner"][s]
                        for t, _ in entities(toks, tags))
    out = f"""# The bundled data sets

Three small English data sets, one per task of the course, made by a program so that they are
free to share, quick to train on with a CPU, and built to teach: negation and contrast in
sentiment, multi-token and ambiguous entities in NER, several question types with distractors in
QA. They are synthetic: the people, companies, towns and events are invented (real place,
organisation and language names are used as names only), so nothing here is a fact.

## How they were made

`tools/make_data.py` (with its parts in `tools/datagen/`) writes every file in this folder,
this card included, except the base model's replies of the chat section (`chat/replay.jsonl` and
`chat/base_model.json`, see there) and the hand-written reviews (`sentiment/handwritten.csv`,
below). It uses seeded random generators (seed {seed}, one generator per task and split) and no
other randomness, so the output is byte-for-byte the same on every run and machine. To remake the data:

```
python tools/make_data.py            # rewrites data/
python tools/make_data.py --out DIR  # writes the same files to DIR/
```

The generator checks, before writing: the sizes below; equal numbers of positive and negative
texts in each split; that every `answer_start` points at its answer text; that no text (sentiment),
sentence (NER) or paragraph (QA) appears in two splits; and that no validation or test entity
appears in the training split (except the shared ambiguous words listed below).

## Files

{_table(["file", "bytes", "sha256 (first 16)"], [[p, f"{b:,}", h[:16]] for p, (b, h) in sorted(digests.items())])}

Total: {total:,} bytes ({total / 1e6:.1f} MB), this card not counted.

## Sentiment (`sentiment/*.csv`)

CSV with a header `text,label`; labels `positive` and `negative`. Reviews of films, products,
restaurants, hotels and apps, and financial news headlines (good or bad news for the company's
shareholders). Texts are composed from parts (openers, aspects, opinion phrases, connectives,
closers), from three words ("Not worth it.") to four sentences. "Hard" texts hold a negation that
flips the surface words ("the food wasn't bland at all", positive; "I wouldn't call the plot
clever", negative) or a contrast where the clause after "but"/"however", or the main clause after
"although", decides ("slow service, but the food more than made up for it", positive). Both
kinds are used equally for both labels, so no single word predicts the label.

Real reviews often say what happened rather than how it was, so many texts (counted below)
carry their sentiment only implicitly, or add such a sentence to an explicit one: events and
their consequences ("I sent it back the next day", "they had no record of our booking", "we
have been back four times since"); rating talk and idioms ("two stars is being
generous", "knocked off a star only because the box arrived dented", positive; "does exactly
what it says on the tin"); and a feeling or expectation that the ending turns round ("I was
sceptical at first. It won me over completely.", positive; "On paper it had everything. The
reality was nothing like it.", negative) or confirms ("I was sceptical at first, and I was
right to be."). Paired wordings serve both labels here too ("not the best hotel I've come
across, but pretty close" / "not the worst ..."). All of these count as hard.

{_table(["split", "texts", "positive", "negative", "hard", "with negation", "with contrast", "implied by events", "rating talk or idiom", "turned round", "<= 4 words", ">= 3 sentences", "mean words"], _sentiment_rows(data["sentiment"]))}

Domains (all splits): {", ".join(f"{d} {n}" for d, n in sorted(domains.items()))}.

{_handwritten_section(data, handwritten) if handwritten else ""}
## NER (`ner/*.conll`)

CoNLL format: one `token TAG` per line, a blank line between sentences; BIO tags over PER, ORG,
LOC and MISC, in the style of CoNLL-2003 (news, politics, business, sport, culture, results
lines, some upper-case headlines; punctuation and the possessive `'s` are separate tokens;
"the" before a river or an organisation is not part of the entity). Names come from lists of
many cultures (English, Spanish, Chinese, Indian, Arabic, Nigerian, Russian, Japanese, German,
French, Korean, Brazilian, Italian, Turkish, Polish, Vietnamese, Kenyan, Persian, Dutch and
Nordic, Greek, Ghanaian). Organisations include companies, universities, clubs, media and
international bodies; MISC covers nationalities, languages, events, works and products.

{_table(["split", "sentences", "tokens", "PER", "ORG", "LOC", "MISC", "multi-token entities", "no entity", "with a shared ambiguous name"], _ner_rows(data["ner"], entities))}

Entities of all splits: {", ".join(f"{t} {n}" for t, n in sorted(ner_types.items()))}.

## QA (`qa/*.json`)

SQuAD v1.1 JSON (`data[].paragraphs[].context`, `qas[].id`, `question`,
`answers[].text`, `answers[].answer_start`), one answer per question, an exact span of the
context. Paragraphs of 60 to 150 words about invented people, companies, towns, bridges,
races, festivals, expeditions and clubs; each holds distractors of the answer's type (two or
more people, years, cities or numbers), and questions are worded differently from the sentence
that answers them. An answer is asked for only when its text occurs once in the paragraph.

{_table(["split", "titles", "paragraphs", "questions", "words per paragraph (min / mean / max)"], _qa_rows(data["qa"]))}

{_table(["split"] + qkinds, [[s] + [kinds_q[s][k] for k in qkinds] for s in SPLITS])}

Topics (paragraphs, all splits): {", ".join(f"{t} {n}" for t, n in sorted(topics.items()))}.

{_chat_section(*chat, digests) if chat else ""}## Held-out names

Every name list is split by a hash of the name: about 70% of the names go to train, 15% to
validation and 15% to test, so the test split is about people, organisations, places and products
that training never saw. A name built on another name follows it ("Bank of Montreal" goes where
"Montreal" goes). The lists are in `tools/datagen/names.py`; how many names each split has:

{_table(["kind"] + list(SPLITS), [[k] + [len(held[s][k]) for s in SPLITS] for k in kinds])}

Shared by all splits on purpose, because context decides their type: {", ".join(SHARED)}
(for example "Jordan" the person and the country, "Washington" the city, the person and the
Washington Post).

<details><summary>The test split's own names</summary>

{chr(10).join(f"- **{k}**: {', '.join(held['test'][k])}" for k in kinds)}

</details>

## Known limits

- Synthetic, template-based English: the wording is varied (parts are combined freely), but a
  model can still learn the generator's habits; judge models on hand-written text as well.
- Sentiment has no sarcasm, no neutral class and no mixed texts without a deciding clause; the
  labels are exact by construction. The implied-sentiment sentences come from fixed lists (about
  eight events per domain and label), so a model can learn those sentences rather than the idea;
  the hand-written reviews (`sentiment/handwritten.csv`, never used for training) check that.
- NER sentences are single news-style sentences without document context; the tag set is
  CoNLL-2003's, and entity boundaries follow its conventions.
- QA answers are short spans (names, years, numbers, short phrases), one per question; there
  are no unanswerable questions (SQuAD v1.1, not v2).
- Sizes are chosen for a 2-core CPU (minutes per run); use the Hub data sets (`source="hub"` in
  `lorakit.data.load_task_data`) for real benchmarks.
"""
    return out

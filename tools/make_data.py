"""Write the course's bundled data sets and their data card.

    python tools/make_data.py            # writes data/
    python tools/make_data.py --out DIR  # writes DIR/ instead

Output: `{sentiment,ner,qa}/{train,validation,test}.{csv,conll,json}`; the same rows as chat
conversations, `chat/{train,validation,test}.jsonl`, worded by each task's `to_chat` (so this
imports `lorakit.tasks`, and with it `datasets` and torch); the hand-written `chat/general.jsonl` and
`chat/replay_prompts.jsonl`; and `README.md`, the data card, whose every number is computed here
from the generated data (and, for the base model's answers, from what `tools/make_replay.py`
measured and wrote to `chat/base_model.json`). The generator uses seeded `random.Random` instances
(one per task and split) and no other randomness, so two runs give byte-identical files on any
machine and Python >= 3.9; it takes seconds.

Before writing, it checks what the data card promises: sizes, balanced sentiment labels, answer
offsets that point at the answer text, no text or paragraph in two splits, and no held-out name
of the test or validation split among the training entities.
"""
import argparse
import csv
import hashlib
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# tools/ for datagen, the repo root for lorakit in a checkout without `pip install -e .`.
sys.path[:0] = [str(ROOT / "tools"), str(ROOT)]

from datagen import card, chat, ner, qa, sentiment  # noqa: E402
from datagen.names import SHARED, SPLITS, build_pools  # noqa: E402
from lorakit._io import atomic_write_text  # noqa: E402
from lorakit.tasks import get_task  # noqa: E402

# What tools/make_replay.py measured of the base model (its replies depend on the model, not on
# this generator), read into the data card when present.
BASE_MODEL = ROOT / "data" / "chat" / "base_model.json"
# Reviews written by hand for judging models on real language; not generated, never trained on.
HANDWRITTEN = ROOT / "data" / "sentiment" / "handwritten.csv"

SEED = 0
SIZES = {
    "sentiment": {"train": 6000, "validation": 1000, "test": 1000},
    "ner": {"train": 4000, "validation": 800, "test": 800},
    "qa": {"train": 3000, "validation": 600, "test": 600},
}


# ---------------------------------------------------------------------------------------------
# Serialisers: one string per file, "\n" line ends, UTF-8.
def sentiment_csv(rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["text", "label"])
    w.writerows([r["text"], r["label"]] for r in rows)
    return buf.getvalue()


def conll(sentences):
    return "".join("".join(f"{t} {g}\n" for t, g in zip(tokens, tags)) + "\n"
                   for tokens, tags in sentences)


def squad_json(paragraphs, split):
    articles, n = {}, 0
    for para in paragraphs:
        qas = []
        for question, _kind, _fact, answer, start in para["qas"]:
            qas.append({"id": f"{split}-{n:05d}", "question": question,
                        "answers": [{"text": answer, "answer_start": start}]})
            n += 1
        articles.setdefault(para["title"], []).append({"context": para["context"], "qas": qas})
    data = [{"title": t, "paragraphs": ps} for t, ps in articles.items()]
    return json.dumps({"version": "1.1", "data": data}, ensure_ascii=False, indent=1) + "\n"


# ---------------------------------------------------------------------------------------------
def _entities(tokens, tags):
    """[(type, text)] of one BIO-tagged sentence."""
    out, cur = [], None
    for t, g in zip(tokens, tags):
        if g.startswith("B-") or (g.startswith("I-") and (cur is None or cur[0] != g[2:])):
            cur = [g[2:], [t]]
            out.append(cur)
        elif g.startswith("I-"):
            cur[1].append(t)
        else:
            cur = None
    return [(typ, " ".join(ws)) for typ, ws in out]


def check(data):
    """Assert what the data card promises."""
    for task, sizes in SIZES.items():
        for split, n in sizes.items():
            got = data[task][split]
            count = sum(len(p["qas"]) for p in got) if task == "qa" else len(got)
            assert count == n, (task, split, count, n)
    for split in SPLITS:
        labels = [r["label"] for r in data["sentiment"][split]]
        assert labels.count("positive") == labels.count("negative"), split
    keys = {
        "sentiment": lambda r: sentiment.normalise(r["text"]),
        "ner": lambda r: " ".join(r[0]).lower(),
        "qa": lambda r: r["context"],
    }
    for task, key in keys.items():
        by_split = {s: {key(r) for r in data[task][s]} for s in SPLITS}
        for i, a in enumerate(SPLITS):
            for b in SPLITS[i + 1:]:
                assert not by_split[a] & by_split[b], f"{task}: {a} and {b} share a text"
    for para in (p for s in SPLITS for p in data["qa"][s]):
        assert len(para["qas"]) >= 1
        for _, _, _, answer, start in para["qas"]:
            assert para["context"][start:start + len(answer)] == answer
    ents = {s: {e for toks, tags in data["ner"][s] for e in _entities(toks, tags)} for s in SPLITS}
    for held in ("validation", "test"):
        leaked = {e for e in ents[held] & ents["train"] if e[1] not in SHARED}
        assert not leaked, f"ner: {held} entities also in train: {sorted(leaked)[:5]}"


def handwritten():
    """The hand-written reviews' texts ([] when the file is missing)."""
    if not HANDWRITTEN.is_file():
        return []
    with HANDWRITTEN.open(encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)]


def build(seed=SEED):
    """{relative path: file text} of every output file, the data card included."""
    pools = build_pools()
    data = {
        "sentiment": sentiment.generate(pools, SIZES["sentiment"], seed),
        "ner": ner.generate(pools, SIZES["ner"], seed),
        "qa": qa.generate(pools, SIZES["qa"], seed),
    }
    check(data)
    files = {}
    for split in SPLITS:
        files[f"sentiment/{split}.csv"] = sentiment_csv(data["sentiment"][split])
        files[f"ner/{split}.conll"] = conll(data["ner"][split])
        files[f"qa/{split}.json"] = squad_json(data["qa"][split], split)
    tasks = {name: get_task(name) for name in chat.TASKS}
    chat_files, conversations = chat.chat_files(data, tasks, seed)
    chat.check(conversations)
    files.update(chat_files)
    digests = {path: (len(text.encode("utf-8")), hashlib.sha256(text.encode("utf-8")).hexdigest())
               for path, text in files.items()}
    measured = json.loads(BASE_MODEL.read_text(encoding="utf-8")) if BASE_MODEL.is_file() else None
    files["README.md"] = card.render(data, pools, digests, SIZES, seed, _entities,
                                     (conversations, tasks, measured), handwritten())
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "data"), help="output folder (default: data/)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    files = build()
    for path, text in files.items():
        atomic_write_text(out / path, text)
    total = sum(len(t.encode("utf-8")) for t in files.values())
    print(f"wrote {len(files)} files ({total / 1e6:.1f} MB) to {out}")


if __name__ == "__main__":
    main()

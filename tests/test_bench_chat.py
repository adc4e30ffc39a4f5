"""benchmarks/chat.py on a tiny Llama: lorakit vs TRL's SFTTrainer runs, counts tokens right, same loss.

Timings on a model this small say nothing (its 259-word vocabulary and width 32 are not SmolLM2's);
these tests check that the code path works, that the comparison is of the same job, and the counts.
"""
import json
import math
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.chat import (bench_chat, main, padding_stats, prompt_completion, real_tokens,  # noqa: E402
                             score_to_end_of_turn, tiny_llama)
from tiny_chat import save_tiny_chat_model, tiny_chat_tokenizer  # noqa: E402

# With the byte-level tokenizer a conversation (user q, assistant a) is, in SmolLM2's template,
# "<|im_start|>system\nYou are a helpful AI assistant.<|im_end|>\n<|im_start|>user\n" q "<|im_end|>\n"
# "<|im_start|>assistant\n" a "<|im_end|>\n": 6 special tokens and 38 + 1 + 5 + 1 + 10 + 1 = 56 bytes.
FIXED_TOKENS = 6 + 56


def conversation(k):
    return [{"role": "user", "content": f"What is {k} plus {k}?"},
            {"role": "assistant", "content": "It is " + "ha" * k + "."}]


def tokens_by_hand(k):
    """The tokens of conversation(k): the template's fixed ones, then one per byte of q and a."""
    messages = conversation(k)
    return FIXED_TOKENS + len(messages[0]["content"]) + len(messages[1]["content"])


EXAMPLES = [conversation(k) for k in range(1, 13)]


def positive_finite(x):
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


@pytest.fixture(scope="module")
def results():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tokenizer = tiny_chat_tokenizer()
        return bench_chat(tiny_llama(tokenizer), tokenizer, EXAMPLES, batch_size=3, repeats=2, warmup=1,
                          gen_tokens=2, loop_steps=1, log=lambda msg: None)
    finally:
        torch.set_num_threads(threads)


def test_hand_counted_tokens():
    tokenizer = tiny_chat_tokenizer()
    ids = tokenizer.apply_chat_template(conversation(2), tokenize=True)
    ids = ids["input_ids"] if hasattr(ids, "keys") else ids
    assert len(ids) == tokens_by_hand(2) == 62 + len("What is 2 plus 2?") + len("It is haha.")  # 90
    batch = {"attention_mask": torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])}
    assert real_tokens(batch) == 6
    assert padding_stats([4, 2], [[0, 1]]) == {"batches": 1, "real_tokens": 6, "padded_tokens": 8,
                                               "padding_fraction": 0.25}


def test_trl_form_and_scored_tokens():
    assert prompt_completion(conversation(1))["completion"] == conversation(1)[1:]
    with pytest.raises(ValueError, match="one reply"):
        prompt_completion(conversation(1) + conversation(2))
    assert score_to_end_of_turn([-100, 7, 8, 2, 10], eos_id=2) == [-100, 7, 8, 2, -100]


def test_keys_and_ratios(results):
    for key in ("chat_vs_trl_tokens_per_second", "chat_vs_trl_peak_memory"):
        assert positive_finite(results[key]) and results[key] == results["ratios"][key]
    assert set(results["ratios"]) >= {
        "chat_vs_trl_checkpointing_tokens_per_second", "scored_only_vs_full_logits_tokens_per_second",
        "length_grouped_vs_random_tokens_per_second", "random_batches_vs_trl_tokens_per_second",
        "merged_vs_unmerged_generation_latency", "scored_only_vs_full_logits_peak_memory"}
    assert all(positive_finite(v) for v in results["ratios"].values()), results["ratios"]
    assert set(results["contenders"]) == {"lorakit", "lorakit_full_logits", "lorakit_random", "trl",
                                          "trl_checkpointing"}
    for res in results["contenders"].values():
        assert len(res["times_s"]) == 2 and positive_finite(res["median_s"])
        assert positive_finite(res["tokens_per_second"]) and positive_finite(res["peak_bytes"])
    loops = results["trl_train_loop"]
    assert not loops["trl"]["activation_checkpointing"] and loops["trl_checkpointing"]["activation_checkpointing"]
    assert json.loads(json.dumps(results)) is not None  # JSON-ready


def test_token_counts_match_the_hand_count(results):
    lengths = [tokens_by_hand(k) for k in range(1, 13)]
    batches = results["settings"]["batches"]
    for name, batching in (("lorakit", "length_grouped"), ("lorakit_full_logits", "length_grouped"),
                           ("lorakit_random", "random"), ("trl", "random"), ("trl_checkpointing", "random")):
        timed = batches[batching][1:]   # after the one warm-up step
        res = results["contenders"][name]
        assert res["tokens"] == [sum(lengths[i] for i in b) for b in timed], name
        assert res["padded_tokens"] == [len(b) * max(lengths[i] for i in b) for b in timed], name
    assert results["padding"]["random"]["real_tokens"] == sum(lengths)
    assert results["padding"]["length_grouped"]["padding_fraction"] <= results["padding"]["random"]["padding_fraction"]


def test_same_loss_on_one_batch(results):
    check = results["loss_check"]
    assert set(check["losses"]) == {"lorakit", "lorakit_full_logits", "trl"}
    assert check["max_relative_difference"] < 1e-4
    assert all(positive_finite(v) for v in check["losses"].values())


def test_quick_command_line(tmp_path, capsys):
    """`python -m benchmarks.chat --quick` with the tiny tokenizer's folder: the table and the JSON."""
    folder = save_tiny_chat_model(tmp_path / "tiny")
    out = tmp_path / "chat.json"
    threads = torch.get_num_threads()
    try:
        main(["--quick", "--model", str(folder), "--threads", "1", "--repeats", "1",
              "--no-trl-checkpointing", "--json", str(out)])
    finally:
        torch.set_num_threads(threads)
    saved = json.loads(out.read_text())
    assert positive_finite(saved["chat_vs_trl_tokens_per_second"]) and saved["settings"]["quick"]
    assert "trl_checkpointing" not in saved["contenders"]
    assert "| chat_vs_trl_tokens_per_second |" in capsys.readouterr().out
    # benchmarks/bench.py --chat FILE takes that result into its one table and JSON, with its target
    from benchmarks.bench import main as bench_main
    from test_bench import tiny_plan
    combined = tmp_path / "all.json"
    try:
        bench_main(["--json", str(combined), "--threads", "1", "--device", "cpu", "--chat", str(out)],
                   plan=tiny_plan())
    finally:
        torch.set_num_threads(threads)
    merged = json.loads(combined.read_text())
    assert merged["chat_vs_trl_tokens_per_second"] == saved["chat_vs_trl_tokens_per_second"]
    assert merged["chat_vs_trl_peak_memory"] == saved["chat_vs_trl_peak_memory"]
    chat_target = [t for t in merged["targets"] if t["target"].startswith("chat:")]
    assert len(chat_target) == 1 and chat_target[0]["goal"] == ">= 1.30"
    assert "### chat: llama" in capsys.readouterr().out

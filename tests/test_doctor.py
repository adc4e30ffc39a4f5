"""`lorakit doctor` on tiny runs made sick on purpose: each finding on its own sick run, none on a
healthy one (the bundled encoder on slices of the bundled data; the tiny chat model of tiny_chat)."""
import json
import shutil

import pytest
import torch
from tiny_chat import save_tiny_chat_model

from lorakit.cli import main
from lorakit.diagnostics import StepLog
from lorakit.doctor import diagnose

TINY = ["--task", "sentiment", "--max-train-examples", "24", "--max-eval-examples", "16", "--epochs", "1",
        "--quiet"]


def train(folder, *options):
    assert main(["train", *TINY, *options, "--out", str(folder)]) == 0
    return folder


def problems(folder, base=None):
    return [f.problem for f in diagnose(folder, base)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("doctor")
    return {"healthy": train(root / "healthy"), "high": train(root / "high", "--lr", "3"),
            "low": train(root / "low", "--lr", "1e-8"), "root": root}


def doctor(capsys, *args):
    status = main(["doctor", *map(str, args)])
    out = capsys.readouterr()
    return status, out.out + out.err


def test_a_healthy_run_has_no_finding(runs, capsys):
    status, text = doctor(capsys, runs["healthy"])
    assert status == 0 and "no findings" in text
    recorded = json.loads((runs["healthy"] / "metrics.json").read_text())["diagnostics"]
    assert len(recorded["steps"]["loss"]) == len(recorded["steps"]["grad_norm"]) == 1
    assert len(recorded["update_norms"]) == len(recorded["target_modules"]["matched"]) == 12
    assert recorded["target_modules"]["asked"] == ["query", "value"]      # the defaults, as apply_lora got them
    assert recorded["target_modules"]["blocks"] == 6 and "key" in recorded["target_modules"]["linear"]
    assert len(recorded["base_model"]["weights_sha256"]) == 16


@pytest.mark.parametrize("run, problem", [("high", "learning rate too high"), ("low", "learning rate too low")])
def test_a_learning_rate_far_off_is_named(runs, capsys, run, problem):
    status, text = doctor(capsys, runs[run])
    assert status == 1 and problem in text and "evidence:" in text and "try:" in text


def test_a_rank_edited_by_hand_contradicts_the_weights(runs, capsys, tmp_path):
    sick = shutil.copytree(runs["healthy"], tmp_path / "r16")
    config = json.loads((sick / "adapter_config.json").read_text())
    (sick / "adapter_config.json").write_text(json.dumps({**config, "r": 16}))
    status, text = doctor(capsys, sick)
    assert status == 1 and "the rank" in text and "r=16" in text and "8 rows" in text


def test_target_modules_that_miss_the_weights_and_an_edited_alpha(runs, tmp_path):
    sick = shutil.copytree(runs["healthy"], tmp_path / "targets")
    config = json.loads((sick / "adapter_config.json").read_text())
    (sick / "adapter_config.json").write_text(json.dumps({**config, "target_modules": ["query"], "lora_alpha": 64}))
    assert problems(sick) == ["adapter_config.json contradicts the weights: the target modules",
                              "adapter_config.json contradicts the run: lora_alpha"]


def test_an_adapter_for_another_base(runs, tmp_path):
    from lorakit.models import load_task_model, load_tokenizer
    info = json.loads((runs["healthy"] / "lorakit.json").read_text())
    other = load_task_model("sentiment", info["labels"], info["base_model"])
    with torch.no_grad():
        other.bert.embeddings.word_embeddings.weight.mul_(1.01)       # same shapes, other weights
    other.save_pretrained(tmp_path / "other")
    load_tokenizer(info["base_model"]).save_pretrained(tmp_path / "other")
    assert problems(runs["healthy"], base=info["base_model"]) == []
    assert problems(runs["healthy"], base=tmp_path / "other") == ["an adapter for another base model"]
    renamed = shutil.copytree(runs["healthy"], tmp_path / "renamed")
    config = json.loads((renamed / "adapter_config.json").read_text())
    (renamed / "adapter_config.json").write_text(json.dumps({**config, "base_model_name_or_path": "gpt2"}))
    assert problems(renamed) == ["an adapter for another base model"]


def test_target_modules_that_matched_no_layer_or_few_blocks(tmp_path, capsys):
    """q_proj is a Llama's name, skipped on this BERT because query matched; pooler.dense is outside the blocks."""
    sick = train(tmp_path / "targets", "--target-modules", "query,q_proj,pooler.dense")
    status, text = doctor(capsys, sick)
    assert status == 1 and problems(sick) == ["target modules that matched no layer"]
    assert "q_proj matched no layer; pooler.dense matched 1 layer, in 0 of the 6 blocks" in text
    assert "Linear layers are called classifier, dense, key, query, value" in text
    plain = tmp_path / "plain"                   # the adapter alone: its config against its weights
    plain.mkdir()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy(sick / name, plain / name)
    status, text = doctor(capsys, plain)
    assert status == 1 and "q_proj matched no layer" in text and "weights are on layers named dense, query" in text


def test_a_merged_model_with_the_adapter_still_attached(runs, tmp_path, capsys):
    merged = tmp_path / "merged"
    assert main(["merge", "--model-dir", str(runs["healthy"]), "--out", str(merged)]) == 0
    capsys.readouterr()
    assert doctor(capsys, merged)[0] == 0                                  # the merged folder alone
    assert problems(runs["healthy"], base=merged) == ["a merged model with the adapter still attached"]
    for name in ("adapter_config.json", "adapter_model.safetensors"):      # copied "to keep them together"
        shutil.copy(runs["healthy"] / name, merged / name)
    status, text = doctor(capsys, merged)
    assert status == 1 and problems(merged) == ["a merged model with the adapter still attached"]
    assert "never both" in text and str(runs["healthy"]) in text


def test_overfitting_a_few_examples(tmp_path):
    sick = train(tmp_path / "over", "--max-train-examples", "16", "--batch-size", "8", "--epochs", "6",
                 "--patience", "6", "--lr", "2e-2")
    assert problems(sick) == ["overfitting: the model learned its training examples, not the task"]


@pytest.fixture(scope="module")
def chat(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chat")
    model = save_tiny_chat_model(folder / "model")
    words = ("yes", "no", "maybe", "ok")
    masked = [[{"role": "user", "content": f"Say {w}."}, {"role": "assistant", "content": w}] for w in words]
    # the mistake: the whole example in the assistant's turn, so the loss scores the question too
    unmasked = [[{"role": "user", "content": "Go on."}, {"role": "assistant", "content": f"The user asks the assistant to say the word {w}, "
                  f"loud and clear, in one word and nothing more. The assistant says: {w}"}] for w in words]
    runs = {}
    for name, rows in (("masked", masked), ("unmasked", unmasked)):
        data = folder / f"{name}.jsonl"
        data.write_text("".join(json.dumps({"messages": m}) + "\n" for m in rows))
        runs[name] = folder / name
        assert main(["train", "--task", "chat", "--model", str(model), "--train", str(data), "--eval", str(data),
                     "--replay", "0", "--rank", "2", "--batch-size", "4", "--max-new-tokens", "2",
                     "--quiet", "--out", str(runs[name])]) == 0
    return runs


def test_a_prompt_left_in_the_loss(chat):
    assert problems(chat["masked"]) == []
    assert problems(chat["unmasked"]) == ["the prompt is in the loss (unmasked)"]


@pytest.mark.parametrize("side, found", [("left", []), ("right", ["padding on the wrong side for generation"])])
def test_a_plain_peft_folder_with_its_tokenizer_padding(chat, tmp_path, side, found):
    from tiny_chat import tiny_chat_tokenizer
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy(chat["masked"] / name, plain / name)
    tiny_chat_tokenizer().save_pretrained(plain)          # transformers pads on the right unless told
    config = json.loads((plain / "tokenizer_config.json").read_text())
    (plain / "tokenizer_config.json").write_text(json.dumps({**config, "padding_side": side}))
    assert problems(plain) == found


def test_fp16_overflow(runs, tmp_path):
    """A tiny fp16 model whose logits pass fp16's largest number (65504): the loss is not finite."""
    from tiny import tiny_bert
    model = tiny_bert().half()
    with torch.no_grad():
        model.classifier.weight.mul_(1e7)
    log = StepLog()
    for _ in range(3):
        loss = model(input_ids=torch.tensor([[1, 2, 3]]), labels=torch.tensor([0])).loss
        loss.backward()
        log.add(loss.item(), torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0), 1e-3)
    sick = shutil.copytree(runs["healthy"], tmp_path / "fp16")
    info, metrics = (json.loads((sick / name).read_text()) for name in ("lorakit.json", "metrics.json"))
    (sick / "lorakit.json").write_text(json.dumps({**info, "precision": "fp16"}))
    metrics["diagnostics"]["steps"] = log.to_dict()
    (sick / "metrics.json").write_text(json.dumps(metrics))
    assert problems(sick) == ["fp16 overflow"]


def test_a_trainer_checkpoint_log_is_read(runs, tmp_path):
    plain = tmp_path / "trainer"
    plain.mkdir()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy(runs["healthy"] / name, plain / name)
    history = [{"loss": loss, "learning_rate": 0.5, "grad_norm": 9.0, "step": i} for i, loss in
               enumerate([0.7, 0.9, 3.5, 8.0])]
    (plain / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    assert problems(plain) == ["learning rate too high"]


@pytest.mark.parametrize("make, words", [(lambda p: p / "missing", "no such folder"),
                                         (lambda p: p, "holds neither")])
def test_a_folder_it_cannot_read_is_one_line(tmp_path, capsys, make, words):
    status, text = doctor(capsys, make(tmp_path))
    assert status == 2 and text.count("\n") == 1 and words in text

"""Lesson 17's tools: a merged folder that plain transformers reads, adapter arithmetic equal to peft's,
GGUF export read back by transformers, and several adapters served on one base."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from tiny import tiny_bert
from tiny_chat import tiny_chat_tokenizer
from transformers import (AutoModelForCausalLM, AutoModelForQuestionAnswering, AutoModelForSequenceClassification,
                          LlamaConfig, LlamaForCausalLM, pipeline)

from lorakit import apply_lora
from lorakit.adapters import load_adapter, read_adapter_weights, save_adapter
from lorakit.cli import main
from lorakit.combine import combine_model
from lorakit.data import bundled_path
from lorakit.export import merged_run, write_gguf
from lorakit.inference import predict
from lorakit.layer import lora_layers
from lorakit.runs import load_run
from lorakit import serve

TINY = ["--max-train-examples", "24", "--max-eval-examples", "8", "--epochs", "1", "--quiet"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Tiny encoder runs on the bundled model: one per task, a second sentiment run, one on other layers."""
    folder, made = tmp_path_factory.mktemp("runs"), {}
    for name, options in (("sentiment", ["--task", "sentiment"]), ("ner", ["--task", "ner"]),
                          ("qa", ["--task", "qa"]), ("sentiment2", ["--task", "sentiment", "--seed", "1"]),
                          ("query_only", ["--task", "sentiment", "--target-modules", "query"])):
        made[name] = folder / name
        assert main(["train", *options, "--out", str(made[name]), *TINY]) == 0
    return made


def chat_model(folder):
    """A tiny Llama wide enough for q8_0 blocks of 32, with grouped-query attention (4 heads, 2 kv)."""
    tokenizer = tiny_chat_tokenizer()
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         tie_word_embeddings=True, bos_token_id=1, eos_token_id=2, pad_token_id=2)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def chats(tmp_path_factory):
    """Two chat runs of one tiny base, trained on different replies."""
    folder = tmp_path_factory.mktemp("chat")
    model, made = chat_model(folder / "model"), {}
    for name, words in (("yes", ("yes", "yes", "ok", "yes")), ("no", ("no", "nope", "no", "no"))):
        data = folder / f"{name}.jsonl"
        data.write_text("".join(json.dumps({"messages": [{"role": "user", "content": f"Say {w}."},
                                                         {"role": "assistant", "content": w}]}) + "\n"
                                for w in words))
        made[name] = folder / name
        assert main(["train", "--task", "chat", "--model", str(model), "--train", str(data), "--eval", str(data),
                     "--replay", "0", "--rank", "4", "--batch-size", "4", "--lr", "0.01",
                     "--max-new-tokens", "2", "--quiet", "--out", str(made[name])]) == 0
    return made


# --------------------------------------------------------------------------- adapter arithmetic
@pytest.mark.parametrize("ours, peft_type", [("linear", "linear"), ("ties", "ties"), ("dare", "dare_linear")])
def test_combinations_equal_peft_add_weighted_adapter(ours, peft_type, tmp_path, monkeypatch):
    folders = []
    for seed, lora_alpha in ((1, 8), (2, 16)):                      # scalings 2 and 4
        torch.manual_seed(seed)
        model = apply_lora(tiny_bert(), ["query", "value"], r=4, lora_alpha=lora_alpha)
        for layer in lora_layers(model).values():
            torch.nn.init.normal_(layer.lora_B.weight)
        folders.append(tmp_path / str(seed))
        save_adapter(model, folders[-1])
    theirs = PeftModel.from_pretrained(tiny_bert(), folders[0], adapter_name="a")
    theirs.load_adapter(folders[1], adapter_name="b")
    seeded, bernoulli = torch.Generator().manual_seed(7), torch.bernoulli   # peft's DARE masks drawn from it
    monkeypatch.setattr(torch, "bernoulli", lambda p, generator=None: bernoulli(p, generator=generator or seeded))
    theirs.add_weighted_adapter(["a", "b"], [0.7, 0.4], "c", combination_type=peft_type, density=0.5)
    monkeypatch.undo()
    ours_model = combine_model(load_adapter(tiny_bert(), folders[0]), [read_adapter_weights(f) for f in folders],
                               [0.7, 0.4], ours, density=0.5, seed=7, scalings=[2.0, 4.0])
    for name, layer in lora_layers(ours_model).items():
        peft_layer = theirs.base_model.model.get_submodule(name)
        assert torch.equal(layer.lora_A.weight, peft_layer.lora_A["c"].weight)
        assert torch.equal(layer.lora_B.weight, peft_layer.lora_B["c"].weight)
        assert layer.scaling == peft_layer.scaling["c"] == 1.0


def test_combined_run_loads_in_lorakit_and_peft(runs, tmp_path):
    out = tmp_path / "both"
    assert main(["merge", "--model-dir", str(runs["sentiment"]), "--model-dir", str(runs["sentiment2"]),
                 "--combination", "ties", "--weights", "0.6,0.4", "--out", str(out)]) == 0
    model, tokenizer, _ = load_run(out)
    info = json.loads((out / "lorakit.json").read_text())
    base = AutoModelForSequenceClassification.from_pretrained(info["base_model"], num_labels=len(info["labels"]))
    peft_model = PeftModel.from_pretrained(base, out).eval()
    batch = tokenizer(["a fine film", "dull"], return_tensors="pt", padding=True)
    with torch.no_grad():
        torch.testing.assert_close(model(**batch).logits, peft_model(**batch).logits, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("other, message", [("ner", "task"), ("query_only", "target modules")])
def test_adapters_that_do_not_fit_together_fail_in_one_line(runs, other, message, tmp_path, capsys):
    assert main(["merge", "--model-dir", str(runs["sentiment"]), "--model-dir", str(runs[other]),
                 "--combination", "linear", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lorakit: error:") and message in err and "\n" not in err
    assert not (tmp_path / "x").exists()


def test_two_runs_without_combination_and_an_existing_out_fail_in_one_line(runs, tmp_path, capsys):
    two = ["--model-dir", str(runs["sentiment"]), "--model-dir", str(runs["sentiment2"])]
    assert main(["merge", *two, "--out", str(tmp_path / "x")]) == 2
    assert "--combination" in capsys.readouterr().err
    assert main(["merge", "--model-dir", str(runs["sentiment"]), "--out", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err


# --------------------------------------------------------------------------- merged folders
PLAIN = """import sys, json
sys.modules["peft"] = sys.modules["lorakit"] = None          # neither may be imported
from transformers import pipeline
classify = pipeline("text-classification", model=sys.argv[1])
print(json.dumps([r["label"] for r in classify(json.loads(sys.argv[2]))]))"""


def test_merged_sentiment_folder_gives_the_adapters_labels_without_peft(runs, tmp_path):
    out = tmp_path / "merged"
    assert main(["merge", "--model-dir", str(runs["sentiment"]), "--out", str(out)]) == 0
    texts = [line.split(",")[0] for line in bundled_path("sentiment", "test").read_text().splitlines()[1:17]]
    model, tokenizer, info = load_run(runs["sentiment"])
    expected = predict(model, tokenizer, info["task"], __import__("datasets").Dataset.from_dict({"text": texts}))
    done = subprocess.run([sys.executable, "-c", PLAIN, str(out), json.dumps(texts)], capture_output=True,
                          text=True, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin"}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == expected


def test_merged_ner_folder_tags_tokens_as_the_adapter(runs, tmp_path):
    out = tmp_path / "merged"
    assert main(["export", "--model-dir", str(runs["ner"]), "--format", "hf", "--out", str(out)]) == 0
    model, tokenizer, _ = load_run(runs["ner"])
    text = "Angela Merkel visited Paris with Siemens staff ."
    tagged = pipeline("token-classification", model=str(out), ignore_labels=[])(text)
    batch = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        ids = model(**batch).logits[0].argmax(-1)[1:-1]          # without [CLS] and [SEP]
    assert [t["entity"] for t in tagged] == [model.config.id2label[int(i)] for i in ids]


def test_merged_qa_folder_finds_the_adapters_span(runs, tmp_path):
    """transformers 5 has no question-answering pipeline: its auto class reads the folder."""
    out = tmp_path / "merged"
    assert main(["merge", "--model-dir", str(runs["qa"]), "--out", str(out)]) == 0
    model, tokenizer, _ = load_run(runs["qa"])
    batch = tokenizer("Where does the Rhine flow to?", "The Rhine flows from the Alps to the North Sea.",
                      return_tensors="pt")
    with torch.no_grad():
        theirs, ours = AutoModelForQuestionAnswering.from_pretrained(out).eval()(**batch), model(**batch)
    for name in ("start_logits", "end_logits"):
        torch.testing.assert_close(getattr(theirs, name), getattr(ours, name), atol=1e-5, rtol=1e-5)
        assert torch.equal(getattr(theirs, name).argmax(-1), getattr(ours, name).argmax(-1))


def test_predict_reads_a_merged_folder_like_its_run(runs, tmp_path, capsys):
    out = tmp_path / "merged"
    assert main(["merge", "--model-dir", str(runs["sentiment"]), "--out", str(out)]) == 0
    data = tmp_path / "few.csv"
    data.write_text("".join(bundled_path("sentiment", "test").read_text().splitlines(keepends=True)[:41]))
    for folder, written in ((runs["sentiment"], tmp_path / "a.csv"), (out, tmp_path / "b.csv")):
        assert main(["predict", "--model-dir", str(folder), "--input", str(data), "--output", str(written),
                     "--quiet"]) == 0
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()


# --------------------------------------------------------------------------- chat: merge and GGUF
def greedy(model, tokenizer, text, tokens=6):
    ids = tokenizer(text, return_tensors="pt").input_ids
    with torch.no_grad():
        return model.generate(ids, max_new_tokens=tokens, do_sample=False, pad_token_id=2)[0].tolist()


PROMPT = "<|im_start|>user\nSay yes.<|im_end|>\n<|im_start|>assistant\n"


def test_merged_chat_folder_generates_the_adapters_replies(chats, tmp_path):
    out = tmp_path / "merged"
    assert main(["merge", "--model-dir", str(chats["yes"]), "--out", str(out)]) == 0
    model, tokenizer, _ = load_run(chats["yes"])
    assert greedy(AutoModelForCausalLM.from_pretrained(out).eval(), tokenizer, PROMPT) == \
        greedy(model, tokenizer, PROMPT)


@pytest.mark.parametrize("kind, tolerance", [("f16", 0.01), ("q8_0", 0.05)])
def test_gguf_reads_back_with_the_merged_models_next_tokens(chats, kind, tolerance, tmp_path):
    file = tmp_path / f"chat-{kind}.gguf"
    assert main(["export", "--model-dir", str(chats["yes"]), "--format", "gguf", "--gguf-type", kind,
                 "--out", str(file)]) == 0
    merged, tokenizer, _ = merged_run(chats["yes"])
    read = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file=file.name).eval()
    ids = tokenizer(PROMPT + "yes maybe no", return_tensors="pt").input_ids
    with torch.no_grad():
        theirs, ours = read(ids).logits, merged(ids).logits
    assert torch.equal(theirs.argmax(-1), ours.argmax(-1))
    assert (theirs - ours).abs().max() < tolerance * ours.abs().max()


def test_gguf_refuses_an_encoder_run_in_one_line(runs, tmp_path, capsys):
    assert main(["export", "--model-dir", str(runs["sentiment"]), "--format", "gguf",
                 "--out", str(tmp_path / "x.gguf")]) == 2
    assert "llama-architecture" in capsys.readouterr().err and not (tmp_path / "x.gguf").exists()


def test_gguf_of_the_bundled_smollm2_reads_back_with_its_tokenizer(tmp_path):
    from transformers import AutoTokenizer

    from lorakit.models import default_chat_model, load_tokenizer
    base = AutoModelForCausalLM.from_pretrained(default_chat_model()).eval()
    tokenizer = load_tokenizer(default_chat_model())
    write_gguf(base, tokenizer, tmp_path / "smol.gguf", "q8_0")
    read = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file="smol.gguf").eval()
    read_tokenizer = AutoTokenizer.from_pretrained(tmp_path, gguf_file="smol.gguf")
    text = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    assert read_tokenizer(text).input_ids == tokenizer(text).input_ids
    ids = tokenizer(text, return_tensors="pt").input_ids
    with torch.no_grad():
        assert torch.equal(read(ids).logits[0, -1:].argmax(-1), base(ids).logits[0, -1:].argmax(-1))


# --------------------------------------------------------------------------- many adapters, one base
def test_a_mixed_batch_equals_each_adapter_alone(runs):
    served = serve.load({"a": runs["sentiment"], "b": runs["sentiment2"]})
    texts, names = ["a fine film", "dull and long", "I loved it", "not good"], ["a", "b", "b", "a"]
    mixed = served.logits(texts, names)
    for name, run in (("a", runs["sentiment"]), ("b", runs["sentiment2"])):
        model, tokenizer, _ = load_run(run)
        with torch.no_grad():
            alone = model(**tokenizer(texts, return_tensors="pt", padding=True)).logits
        rows = [i for i, n in enumerate(names) if n == name]
        torch.testing.assert_close(mixed[rows], alone[rows], atol=1e-5, rtol=1e-5)
    assert served.predict(texts, names) == [served.labels[n][int(i)] for n, i in zip(names, mixed.argmax(-1))]


def test_mixed_chat_replies_equal_each_adapter_alone_and_share_the_base(chats):
    served = serve.load(dict(chats))
    prompts = [[{"role": "user", "content": "Say yes."}], [{"role": "user", "content": "Say no."}]]
    replies = served.generate(prompts * 2, ["yes", "no", "no", "yes"], max_new_tokens=3)
    for i, name in enumerate(["yes", "no", "no", "yes"]):
        alone = serve.load({name: chats[name]})
        assert alone.generate([prompts[i % 2]], [name], max_new_tokens=3) == [replies[i]]
    sizes = serve.memory(served, [merged_run(chats[n])[0] for n in chats])
    assert sizes["served_bytes"] < 0.6 * sizes["merged_bytes"]


def test_an_unknown_adapter_name_is_a_one_line_error(runs):
    served = serve.load({"a": runs["sentiment"]})
    with pytest.raises(Exception, match="no adapter 'b'"):
        served.predict(["fine"], ["b"])

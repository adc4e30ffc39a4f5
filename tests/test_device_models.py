"""Device and precision choice with mocked GPUs, and each model family's LoRA layer names (no download)."""
import pytest
import torch
from transformers import (AutoConfig, AutoModelForSequenceClassification,
                          AutoModelForTokenClassification)

from lorakit import ConfigError, apply_lora, lora_layers
from lorakit import device
from lorakit.device import cpu_flags, select_device, select_precision
from lorakit.models import attention_dropout_key, default_target_modules, head_module_names, load_task_model


@pytest.mark.parametrize("capability,expected", [((7, 5), "fp16"), ((7, 0), "fp16"), ((8, 0), "bf16"),
                                                 ((8, 9), "bf16"), ((9, 0), "bf16")])
def test_precision_by_compute_capability(capability, expected, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # says yes on a T4 too
    assert select_precision("cuda", capability=capability) == expected


def test_precision_requests_are_checked():
    assert select_precision("cpu", native_bf16=False) == select_precision("mps") == "fp32"
    assert select_precision("cuda", "fp32", capability=(9, 0)) == "fp32"
    assert select_precision("cpu", "bf16", native_bf16=False) == "bf16"   # asked for: emulated, but allowed
    with pytest.raises(ConfigError, match="bf16 needs compute capability 8.0"):
        select_precision("cuda", "bf16", capability=(7, 5))
    with pytest.raises(ConfigError, match="needs a CUDA GPU"):
        select_precision("cpu", "fp16")
    with pytest.raises(ConfigError, match="--precision"):
        select_precision("cpu", "fp8")
    with pytest.raises(ConfigError, match="--precision"):
        select_precision("cpu", "no")      # the old name of fp32


@pytest.mark.parametrize("flags,expected", [("fpu avx2 avx512f amx_bf16 amx_tile", "bf16"),
                                            ("fpu avx2 avx512f avx512_bf16", "bf16"),
                                            ("fpu avx2 avx512f", "fp32"), ("", "fp32")])
def test_cpu_auto_precision_follows_native_bf16(flags, expected, tmp_path, monkeypatch):
    """auto on a CPU: bf16 autocast only where /proc/cpuinfo lists AMX-BF16 or AVX512-BF16."""
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    assert cpu_flags(cpuinfo) == set(flags.split())
    monkeypatch.setattr(device, "cpu_flags", lambda: set(flags.split()))
    assert select_precision("cpu") == expected
    assert cpu_flags(tmp_path / "missing") == set()   # not Linux: no flags, so fp32


@pytest.mark.parametrize("cuda,mps,expected", [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")])
def test_device_order(cuda, mps, expected, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert select_device() == expected


def test_unavailable_device_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="no such device"):
        select_device("cuda")
    with pytest.raises(ConfigError, match="not one of"):
        select_device("tpu")


TINY = dict(hidden_size=16, intermediate_size=24, num_attention_heads=2, num_hidden_layers=2, vocab_size=64)
FAMILIES = {  # model_type: (config options, expected LoRA layer names in layer 0, head)
    "bert": ({}, ["bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.0.attention.self.value"],
             ["classifier"]),
    "roberta": ({}, ["roberta.encoder.layer.0.attention.self.query",
                     "roberta.encoder.layer.0.attention.self.value"], ["classifier"]),
    "distilbert": (dict(dim=16, hidden_dim=24, n_heads=2, n_layers=2),
                   ["distilbert.transformer.layer.0.attention.q_lin", "distilbert.transformer.layer.0.attention.v_lin"],
                   ["pre_classifier", "classifier"]),
    "gpt2": (dict(n_embd=16, n_head=2, n_layer=2, pad_token_id=0), ["transformer.h.0.attn.c_attn"], ["score"]),
    "electra": (dict(embedding_size=16), ["electra.encoder.layer.0.attention.self.query",
                                          "electra.encoder.layer.0.attention.self.value"], ["classifier"]),
}


@pytest.mark.parametrize("model_type", FAMILIES)
def test_layer_name_map(model_type):
    options, expected, head = FAMILIES[model_type]
    config = AutoConfig.for_model(model_type, **(TINY | options), num_labels=2)
    model = AutoModelForSequenceClassification.from_config(config)
    apply_lora(model, default_target_modules(model_type), r=2, modules_to_save=head_module_names(model))
    names = sorted(lora_layers(model))
    assert [n for n in names if ".0." in n] == expected
    assert head_module_names(model) == head


def test_token_classification_head():
    config = AutoConfig.for_model("bert", **TINY, num_labels=9)
    assert head_module_names(AutoModelForTokenClassification.from_config(config)) == ["classifier"]


def test_unknown_family_asks_for_target_modules():
    with pytest.raises(ConfigError, match="--target-modules"):
        default_target_modules("mamba")


@pytest.mark.parametrize("model_type,options,key", [
    ("bert", {}, "attention_probs_dropout_prob"),
    ("distilbert", dict(dim=16, hidden_dim=24, n_heads=2, n_layers=2), "attention_dropout"),
    ("gpt2", dict(n_embd=16, n_head=2, n_layer=2), "attn_pdrop"),
])
def test_attention_dropout_is_set_by_family(model_type, options, key, tmp_path):
    config = AutoConfig.for_model(model_type, **(TINY | options))
    AutoModelForSequenceClassification.from_config(config).save_pretrained(tmp_path)
    assert attention_dropout_key(tmp_path) == key
    model = load_task_model("sentiment", ["neg", "pos"], tmp_path, attention_dropout=0.0)
    assert getattr(model.config, key) == 0.0
    assert getattr(load_task_model("sentiment", ["neg", "pos"], tmp_path).config, key) == 0.1


def test_bert_attention_dropout_leaves_hidden_dropout(tmp_path):
    AutoModelForSequenceClassification.from_config(AutoConfig.for_model("bert", **TINY)).save_pretrained(tmp_path)
    model = load_task_model("qa", None, tmp_path, attention_dropout=0.0)
    ps = {name.split(".")[-2]: m.p for name, m in model.named_modules() if isinstance(m, torch.nn.Dropout)}
    assert ps == {"self": 0.0, "output": 0.1, "embeddings": 0.1}


def test_attention_dropout_needs_a_known_setting(tmp_path):
    AutoConfig.for_model("t5", d_model=16, d_ff=24, num_heads=2, num_layers=2).save_pretrained(tmp_path)
    with pytest.raises(ConfigError, match="--attention-dropout.*'t5'"):
        attention_dropout_key(tmp_path)


def test_training_uses_fused_adamw_and_records_fp32_on_this_cpu(monkeypatch):
    """`lorakit train`'s AdamW is the fused one on a CPU (torch's default there loops in Python), and a
    CPU without native bf16 trains in fp32 under --precision auto."""
    from lorakit.config import TrainConfig
    from lorakit.train import set_up
    monkeypatch.setattr(device, "cpu_flags", lambda: {"avx2"})
    run = set_up(TrainConfig(task="sentiment", device="cpu", max_train_examples=8, max_eval_examples=4).resolved())
    optimizer = getattr(run.optimizer, "optimizer", run.optimizer)   # accelerate wraps it
    assert optimizer.defaults["fused"] is True
    assert run.accelerator.mixed_precision == "no"


def test_a_bf16_run_returns_a_float32_model():
    """After a run under bf16 autocast, the returned model computes in float32 like a loaded run:
    accelerate's autocast wrapper stays with training."""
    from lorakit.config import TrainConfig
    from lorakit.train import train
    result = train(TrainConfig(task="sentiment", device="cpu", precision="bf16", epochs=1,
                               max_train_examples=8, max_eval_examples=4, batch_size=4))
    assert result.metrics["precision"] == "bf16"
    assert "_original_forward" not in vars(result.model)
    batch = result.tokenizer(["good", "bad"], return_tensors="pt", padding=True)
    batch.pop("token_type_ids", None)
    assert result.model(**batch).logits.dtype == torch.float32


def test_update_scale_keeps_that_fraction_of_the_trained_update_and_validates_that_model(monkeypatch):
    """The same run with --update-scale 0.5 returns B halved (A as trained), and validation during
    training predicts with the update at that scale: the model `train` returns."""
    from lorakit import train as training
    from lorakit.config import TrainConfig
    from lorakit.lora import lora_layers
    seen = []
    predict_outputs = training.predict_outputs
    monkeypatch.setattr(training, "predict_outputs", lambda model, *args, **kw: seen.append(
        {l.scaling for l in lora_layers(model).values()}) or predict_outputs(model, *args, **kw))
    small = dict(task="sentiment", device="cpu", precision="fp32", epochs=1, max_train_examples=16,
                 max_eval_examples=8, batch_size=4, lr=5e-2)
    whole, half = (training.train(TrainConfig(update_scale=f, **small)) for f in (1.0, 0.5))
    assert seen == [{16 / 8}, {0.5 * 16 / 8}]
    for name, layer in lora_layers(half.model).items():
        trained = lora_layers(whole.model)[name]
        assert layer.scaling == trained.scaling == 16 / 8
        torch.testing.assert_close(layer.lora_A.weight, trained.lora_A.weight)
        torch.testing.assert_close(layer.lora_B.weight, 0.5 * trained.lora_B.weight)
    assert torch.any(trained.lora_B.weight != 0)


def test_runs_in_one_process_may_change_precision():
    """A bf16 run, then an fp32 one, in the same process (a notebook): accelerate would refuse the
    second ("restart your runtime") if lorakit kept its first state."""
    from lorakit.config import TrainConfig
    from lorakit.train import set_up
    small = dict(task="sentiment", device="cpu", max_train_examples=8, max_eval_examples=4)
    assert set_up(TrainConfig(precision="bf16", **small).resolved()).accelerator.mixed_precision == "bf16"
    assert set_up(TrainConfig(precision="fp32", **small).resolved()).accelerator.mixed_precision == "no"


@pytest.mark.parametrize("precision, during", [("bf16", "eager"), ("fp32", "sdpa")])
def test_training_attention_is_eager_in_bf16_on_a_cpu_and_restored_after(precision, during, monkeypatch):
    """A CPU run in bf16 trains with eager attention (torch's fused kernel is slow backward there); in
    fp32 the fused one stays; either way the returned model has the attention it was loaded with."""
    from lorakit import train as training
    from lorakit.config import TrainConfig
    seen = []
    fit = training.fit
    monkeypatch.setattr(training, "fit", lambda run, bar: seen.append(
        run.accelerator.unwrap_model(run.model).config._attn_implementation) or fit(run, bar))
    result = training.train(TrainConfig(task="sentiment", device="cpu", precision=precision, epochs=1,
                                        max_train_examples=8, max_eval_examples=4, batch_size=4))
    assert seen == [during]
    assert result.model.config._attn_implementation == "sdpa"

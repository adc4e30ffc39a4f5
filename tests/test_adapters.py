"""Adapters in peft's format: round trips through lorakit and peft, and damaged adapters refused."""
import json

import pytest
import torch
from torch import nn

from lorakit import AdapterError, apply_lora, load_adapter, lora_layers, save_adapter
from lorakit.adapters import CONFIG_NAME, WEIGHTS_NAME
from tiny import tiny_bert, tiny_gpt2

TARGETS = {tiny_bert: (["query", "value"], ["classifier"]), tiny_gpt2: (["c_attn"], ["score"])}


def trained(build, seed=1, **options):
    """A LoRA model whose B matrices and head are random, as after training."""
    target, head = TARGETS[build]
    model = apply_lora(build(), target, r=4, lora_alpha=8, modules_to_save=head, **options)
    torch.manual_seed(seed)
    for layer in lora_layers(model).values():
        nn.init.normal_(layer.lora_B.weight, std=0.5)
    for p in model.get_submodule(head[0]).parameters():
        nn.init.normal_(p)
    return model


@pytest.mark.parametrize("build", [tiny_bert, tiny_gpt2])
def test_round_trip(build, inputs, tmp_path):
    model = trained(build)
    save_adapter(model, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [CONFIG_NAME, WEIGHTS_NAME]
    loaded = load_adapter(build(seed=0), tmp_path)
    torch.testing.assert_close(loaded(**inputs).logits, model(**inputs).logits, rtol=0, atol=1e-6)


@pytest.mark.parametrize("build", [tiny_bert, tiny_gpt2])
def test_lorakit_adapter_loads_in_peft(build, inputs, tmp_path):
    from peft import PeftModel
    model = trained(build, use_rslora=True)
    save_adapter(model, tmp_path)
    theirs = PeftModel.from_pretrained(build(seed=0), tmp_path).eval()
    torch.testing.assert_close(theirs(**inputs).logits, model(**inputs).logits, rtol=0, atol=1e-5)


@pytest.mark.parametrize("build", [tiny_bert, tiny_gpt2])
def test_peft_adapter_loads_in_lorakit(build, inputs, tmp_path):
    from peft import LoraConfig, get_peft_model
    target, head = TARGETS[build]
    peft_model = get_peft_model(build(), LoraConfig(r=4, lora_alpha=8, target_modules=target,
                                                    modules_to_save=head, fan_in_fan_out=build is tiny_gpt2))
    torch.manual_seed(2)
    for name, p in peft_model.named_parameters():
        if p.requires_grad:
            nn.init.normal_(p, std=0.5)
    peft_model.save_pretrained(tmp_path)
    ours = load_adapter(build(seed=0), tmp_path)
    torch.testing.assert_close(ours(**inputs).logits, peft_model(**inputs).logits, rtol=0, atol=1e-5)


def edit_config(path, **changes):
    file = path / CONFIG_NAME
    config = json.loads(file.read_text())
    for key, value in changes.items():
        if value is None:
            del config[key]
        else:
            config[key] = value
    file.write_text(json.dumps(config))


@pytest.fixture
def saved(tmp_path):
    save_adapter(trained(tiny_bert), tmp_path)
    return tmp_path


def test_missing_folder_and_files(tmp_path):
    with pytest.raises(AdapterError, match="no such adapter folder"):
        load_adapter(tiny_bert(), tmp_path / "nope")
    with pytest.raises(AdapterError, match="holds no adapter"):
        load_adapter(tiny_bert(), tmp_path)


@pytest.mark.parametrize("changes,message", [
    (dict(r=None), "missing field.*r"),
    (dict(target_modules=None), "missing field.*target_modules"),
    (dict(r="8"), "field 'r' must be a positive integer"),
    (dict(peft_type="PREFIX_TUNING"), "only 'LORA'"),
    (dict(lora_bias=True), "lora_bias=True is not supported"),
])
def test_bad_config(saved, changes, message):
    edit_config(saved, **changes)
    with pytest.raises(AdapterError, match=message):
        load_adapter(tiny_bert(), saved)


def test_config_not_json(saved):
    (saved / CONFIG_NAME).write_text("{not json")
    with pytest.raises(AdapterError, match="not valid JSON"):
        load_adapter(tiny_bert(), saved)


def test_truncated_weights(saved):
    data = (saved / WEIGHTS_NAME).read_bytes()
    (saved / WEIGHTS_NAME).write_bytes(data[: len(data) // 2])
    with pytest.raises(AdapterError, match="damaged or truncated"):
        load_adapter(tiny_bert(), saved)


def test_garbage_weights(saved):
    (saved / WEIGHTS_NAME).write_bytes(b"\x00" * 64)
    with pytest.raises(AdapterError, match="damaged or truncated"):
        load_adapter(tiny_bert(), saved)


def test_other_base_model_is_refused(saved):
    with pytest.raises(AdapterError, match="has shape .* but this model needs"):
        load_adapter(tiny_bert(hidden_size=32), saved)


def test_other_label_set_is_refused(saved):
    from transformers import BertConfig, BertForSequenceClassification
    config = tiny_bert().config
    config.num_labels = 5
    with pytest.raises(AdapterError, match=r"classifier\.(weight|bias) has shape"):
        load_adapter(BertForSequenceClassification(config), saved)


def test_other_architecture_is_refused(saved):
    with pytest.raises(AdapterError, match="does not fit this model.*matches no Linear"):
        load_adapter(tiny_gpt2(), saved)


def test_save_refuses_merged_and_plain_models(tmp_path):
    from lorakit import merge_lora
    with pytest.raises(AdapterError, match="no LoRA layers"):
        save_adapter(tiny_bert(), tmp_path)
    with pytest.raises(AdapterError, match="merged"):
        save_adapter(merge_lora(trained(tiny_bert)), tmp_path)
    assert not any(tmp_path.iterdir())

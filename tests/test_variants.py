"""DoRA, PiSSA and LoRA+ checked against peft on tiny models: forward, gradients, merge, init,
save/load both ways, optimizer groups, the PiSSA-to-LoRA conversion, and the command line."""
import json

import pytest
import torch
from torch import nn

from lorakit import ConfigError, apply_lora, load_adapter, lora_layers, merge_lora, save_adapter, unmerge_lora
from lorakit.adapters import CONFIG_NAME, WEIGHTS_NAME, read_adapter_weights
from lorakit.lora import loraplus_param_groups
from tiny import tiny_bert, tiny_gpt2

TARGETS = {tiny_bert: (["query", "value"], ["classifier"]), tiny_gpt2: (["c_attn"], ["score"])}
TOL = dict(rtol=0, atol=1e-5)


def pair(build, **options):
    """(lorakit model, peft model) on the same base weights, with the same LoRA options."""
    from peft import LoraConfig, get_peft_model
    target, head = TARGETS[build]
    ours = apply_lora(build(), target, r=4, lora_alpha=8, modules_to_save=head, **options)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=target, modules_to_save=head,
                        fan_in_fan_out=build is tiny_gpt2, **options)
    return ours, get_peft_model(build(), config)


def peft_layer(peft_model, name):
    return peft_model.base_model.model.get_submodule(name)


def randomize(ours, peft_model, seed=1):
    """Random B (and magnitude) in lorakit, copied with A into peft: as after some training."""
    torch.manual_seed(seed)
    for name, layer in lora_layers(ours).items():
        nn.init.normal_(layer.lora_B.weight, std=0.3)
        theirs = peft_layer(peft_model, name)
        theirs.lora_A["default"].weight.data.copy_(layer.lora_A.weight)
        theirs.lora_B["default"].weight.data.copy_(layer.lora_B.weight)
        if layer.use_dora:
            layer.lora_magnitude_vector.data.mul_(1 + 0.1 * torch.randn_like(layer.lora_magnitude_vector))
            theirs.lora_magnitude_vector["default"].weight.data.copy_(layer.lora_magnitude_vector)
    head = TARGETS[tiny_bert if hasattr(ours, "bert") else tiny_gpt2][1][0]
    peft_layer(peft_model, head).modules_to_save["default"].load_state_dict(ours.get_submodule(head).state_dict())


# ----------------------------------------------------------------------------- DoRA
@pytest.mark.parametrize("build", [tiny_bert, tiny_gpt2])
def test_dora_starts_at_the_base_model_with_peft_magnitude(build, inputs):
    ours, theirs = pair(build, use_dora=True)
    for name, layer in lora_layers(ours).items():
        torch.testing.assert_close(layer.lora_magnitude_vector,
                                   peft_layer(theirs, name).lora_magnitude_vector["default"].weight, **TOL)
    base = build()
    head = TARGETS[build][1][0]
    base.get_submodule(head).load_state_dict(ours.get_submodule(head).state_dict())
    torch.testing.assert_close(ours(**inputs).logits, base(**inputs).logits, **TOL)


@pytest.mark.parametrize("build", [tiny_bert, tiny_gpt2])
def test_dora_forward_and_gradients_match_peft(build, inputs):
    ours, theirs = pair(build, use_dora=True)
    randomize(ours, theirs)
    out_ours, out_theirs = ours(**inputs).logits, theirs(**inputs).logits
    torch.testing.assert_close(out_ours, out_theirs, **TOL)
    (out_ours ** 2).sum().backward()
    (out_theirs ** 2).sum().backward()
    for name, layer in lora_layers(ours).items():
        other = peft_layer(theirs, name)
        for mine, peft_param in [(layer.lora_A.weight, other.lora_A["default"].weight),
                                 (layer.lora_B.weight, other.lora_B["default"].weight),
                                 (layer.lora_magnitude_vector, other.lora_magnitude_vector["default"].weight)]:
            torch.testing.assert_close(mine.grad, peft_param.grad, **TOL)


@pytest.mark.parametrize("build", [tiny_bert, tiny_gpt2])
def test_dora_merge_and_unmerge_match_peft(build, inputs):
    ours, theirs = pair(build, use_dora=True)
    randomize(ours, theirs)
    before = {n: layer.base_layer.weight.clone() for n, layer in lora_layers(ours).items()}
    expected = ours(**inputs).logits
    merge_lora(ours)
    theirs.merge_adapter()
    for name, layer in lora_layers(ours).items():
        torch.testing.assert_close(layer.base_layer.weight, peft_layer(theirs, name).base_layer.weight, **TOL)
    torch.testing.assert_close(ours(**inputs).logits, expected, **TOL)
    unmerge_lora(ours)
    for name, layer in lora_layers(ours).items():
        torch.testing.assert_close(layer.base_layer.weight, before[name], **TOL)
    torch.testing.assert_close(ours(**inputs).logits, expected, **TOL)


def test_dora_adapter_loads_in_peft(inputs, tmp_path):
    from peft import PeftModel
    ours, theirs = pair(tiny_bert, use_dora=True)
    randomize(ours, theirs)
    save_adapter(ours, tmp_path)
    assert json.loads((tmp_path / CONFIG_NAME).read_text())["use_dora"] is True
    key = "base_model.model.bert.encoder.layer.0.attention.self.query.lora_magnitude_vector"
    assert read_adapter_weights(tmp_path)[key].shape == (16,)
    loaded = PeftModel.from_pretrained(tiny_bert(), tmp_path).eval()
    torch.testing.assert_close(loaded(**inputs).logits, ours(**inputs).logits, **TOL)


def test_peft_dora_adapter_loads_in_lorakit(inputs, tmp_path):
    ours, theirs = pair(tiny_bert, use_dora=True)
    randomize(ours, theirs)
    theirs.save_pretrained(tmp_path)
    loaded = load_adapter(tiny_bert(), tmp_path)
    assert all(layer.use_dora for layer in lora_layers(loaded).values())
    torch.testing.assert_close(loaded(**inputs).logits, theirs(**inputs).logits, **TOL)


# ----------------------------------------------------------------------------- LoRA+
def normalise(peft_name):
    """peft's parameter name as lorakit's: no base_model.model prefix, no adapter name."""
    name = peft_name.removeprefix("base_model.model.")
    name = name.replace(".default", "").replace(".modules_to_save", "")
    return name.replace("lora_magnitude_vector.weight", "lora_magnitude_vector")  # a module in peft


@pytest.mark.parametrize("use_dora", [False, True])
def test_loraplus_groups_match_peft(use_dora):
    from peft.optimizers import create_loraplus_optimizer
    ours, theirs = pair(tiny_bert, use_dora=use_dora)
    optimizer = create_loraplus_optimizer(theirs, optimizer_cls=torch.optim.AdamW, lr=1e-3,
                                          loraplus_lr_ratio=16, loraplus_weight_decay=0.01)
    names = {id(p): normalise(n) for n, p in theirs.named_parameters()}
    peft_groups = {(g["lr"], g["weight_decay"], frozenset(names[id(p)] for p in g["params"]))
                   for g in optimizer.param_groups if g["params"]}
    names = {id(p): n for n, p in ours.named_parameters()}
    our_groups = {(g["lr"], g["weight_decay"], frozenset(names[id(p)] for p in g["params"]))
                  for g in loraplus_param_groups(ours, lr=1e-3, loraplus_ratio=16, weight_decay=0.01)
                  if g["params"]}
    assert our_groups == peft_groups
    base_lr = [group for lr, _, group in our_groups if lr == 1e-3][0]
    assert "classifier.weight" in base_lr and "classifier.bias" not in base_lr  # as peft: vectors go with B
    torch.optim.AdamW(loraplus_param_groups(ours, lr=1e-3), lr=1e-3)  # a valid optimizer


# ----------------------------------------------------------------------------- PiSSA
@pytest.mark.parametrize("build", [tiny_bert, tiny_gpt2])
def test_pissa_init_matches_peft_and_keeps_the_output(build, inputs):
    ours, theirs = pair(build, init_lora_weights="pissa")
    for name, layer in lora_layers(ours).items():
        other = peft_layer(theirs, name)
        torch.testing.assert_close(layer.lora_A.weight, other.lora_A["default"].weight, **TOL)
        torch.testing.assert_close(layer.lora_B.weight, other.lora_B["default"].weight, **TOL)
        torch.testing.assert_close(layer.base_layer.weight, other.base_layer.weight, **TOL)
    base = build()
    head = TARGETS[build][1][0]
    base.get_submodule(head).load_state_dict(ours.get_submodule(head).state_dict())
    torch.testing.assert_close(ours(**inputs).logits, base(**inputs).logits, **TOL)


def test_pissa_adapter_round_trips_with_peft(inputs, tmp_path):
    from peft import PeftModel
    ours, theirs = pair(tiny_bert, init_lora_weights="pissa")
    randomize(ours, theirs)
    save_adapter(ours, tmp_path / "ours")
    assert json.loads((tmp_path / "ours" / CONFIG_NAME).read_text())["init_lora_weights"] == "pissa"
    loaded = PeftModel.from_pretrained(tiny_bert(), tmp_path / "ours").eval()   # on the ORIGINAL W0
    torch.testing.assert_close(loaded(**inputs).logits, ours(**inputs).logits, **TOL)
    theirs.save_pretrained(tmp_path / "theirs")
    again = load_adapter(tiny_bert(), tmp_path / "theirs")
    torch.testing.assert_close(again(**inputs).logits, theirs(**inputs).logits, **TOL)


def test_pissa_converts_to_lora_for_the_original_weights(inputs, tmp_path):
    from peft import PeftModel
    model = apply_lora(tiny_bert(), ["query", "value"], r=4, lora_alpha=8, modules_to_save=["classifier"],
                       init_lora_weights="pissa")
    save_adapter(model, tmp_path / "initial")
    torch.manual_seed(3)
    for layer in lora_layers(model).values():   # "training"
        layer.lora_A.weight.data += 0.1 * torch.randn_like(layer.lora_A.weight)
        layer.lora_B.weight.data += 0.1 * torch.randn_like(layer.lora_B.weight)
    save_adapter(model, tmp_path / "lora", path_initial_model_for_weight_conversion=tmp_path / "initial")
    config = json.loads((tmp_path / "lora" / CONFIG_NAME).read_text())
    assert (config["r"], config["lora_alpha"], config["init_lora_weights"]) == (8, 16, True)
    converted = load_adapter(tiny_bert(), tmp_path / "lora")
    original = tiny_bert()
    for name, layer in lora_layers(converted).items():
        trained = lora_layers(model)[name]
        assert layer.lora_A.weight.shape == (8, 16)
        w0 = original.get_submodule(name).weight
        torch.testing.assert_close(w0 + layer.get_delta_weight(),
                                   trained.base_layer.weight + trained.get_delta_weight(), **TOL)
    torch.testing.assert_close(converted(**inputs).logits, model(**inputs).logits, **TOL)
    theirs = PeftModel.from_pretrained(tiny_bert(), tmp_path / "lora").eval()
    torch.testing.assert_close(theirs(**inputs).logits, model(**inputs).logits, **TOL)


def test_each_variant_is_one_class_that_owns_the_steps_it_changes(monkeypatch):
    from lorakit import variants
    from lorakit.layer import LoRALinear
    layer = LoRALinear(nn.Linear(8, 8), r=2, lora_alpha=4, use_rslora=True, use_dora=True,
                       init_lora_weights="pissa")
    assert {step: type(v).__name__ for step, v in layer.variant.items()} == {
        "scaling": "RsLoRA", "init_weights": "PiSSA", "fit_to_base": "DoRA", "forward": "DoRA",
        "merge": "DoRA", "unmerge": "DoRA", "param_groups": "LoraVariant"}
    assert LoRALinear(nn.Linear(8, 8), r=2, lora_alpha=4).variant["forward"] is variants.PLAIN

    class Halved(variants.LoraVariant):  # a new variant: one class, added to VARIANTS
        option, value = "halve", True

        def scaling(self, r, lora_alpha):
            return lora_alpha / r / 2

    monkeypatch.setattr(variants, "VARIANTS", variants.VARIANTS + (Halved,))
    assert isinstance(variants.select(halve=True)["scaling"], Halved)
    with pytest.raises(ConfigError, match="RsLoRA and Halved both change LoRA's scaling"):
        variants.select(use_rslora=True, halve=True)


def test_unknown_init_is_refused():
    from lorakit import ConfigError
    with pytest.raises(ConfigError, match="init_lora_weights must be one of"):
        apply_lora(nn.Sequential(nn.Linear(4, 4)), ["0"], r=2, init_lora_weights="olora")


# ----------------------------------------------------------------------------- the command line
@pytest.mark.parametrize("flags,field,value", [
    (["--use-dora"], "use_dora", True),
    (["--init", "pissa"], "init_lora_weights", "pissa"),
    (["--loraplus-ratio", "16"], None, None),
])
def test_cli_trains_each_variant(flags, field, value, tmp_path):
    from lorakit.cli import main
    out = tmp_path / "run"
    assert main(["train", "--task", "sentiment", "--out", str(out), "--max-train-examples", "16",
                 "--max-eval-examples", "8", "--epochs", "1", "--quiet", *flags]) == 0
    config = json.loads((out / CONFIG_NAME).read_text())
    assert (out / WEIGHTS_NAME).is_file()
    if field:
        assert config[field] == value
    else:
        assert json.loads((out / "lorakit.json").read_text())["options"]["loraplus_ratio"] == 16


# ----------------------------------------------------------------------------- the matched-budget table
def test_compare_variants_trains_each_variant_on_the_same_budget():
    from lorakit.config import TrainConfig
    from lorakit.sweep import compare_variants, summarize_variants
    base = TrainConfig(task="sentiment", epochs=1, max_train_examples=16, max_eval_examples=8)
    variants = {"LoRA": {}, "DoRA": {"use_dora": True}, "QLoRA": {"quantize": "nf4"}}
    table = compare_variants(base, variants, seeds=(0, 1), progress=False)
    assert table["variant"].tolist() == ["LoRA", "LoRA", "DoRA", "DoRA", "QLoRA", "QLoRA"]
    assert len(table) == 6 and table["accuracy"].between(0, 1).all()
    summary = summarize_variants(table, "accuracy").set_index("variant")
    assert summary["count"].tolist() == [2, 2, 2]
    lora, dora, qlora = (summary.loc[v] for v in variants)
    assert dora.trainable_params == lora.trainable_params + 12 * 384   # a magnitude per output row
    assert qlora.trainable_params == lora.trainable_params
    assert qlora.frozen_mb < 0.8 * lora.frozen_mb                      # the body's Linear layers in 4 bits


def test_compare_variants_refuses_an_unknown_field_before_training():
    from lorakit.config import TrainConfig
    from lorakit.sweep import compare_variants
    with pytest.raises(ConfigError, match="variant 'DoRA': 'use_dorra' is not a TrainConfig field"):
        compare_variants(TrainConfig(task="sentiment"), {"LoRA": {}, "DoRA": {"use_dorra": True}}, progress=False)

"""Invariants of LoRALinear and apply_lora on tiny models, checked against peft where it applies."""
import copy
import math

import pytest
import torch
from torch import nn

import lorakit
from lorakit import (ConfigError, LoRALinear, MergeError, apply_lora, count_parameters,
                     lora_layers, merge_and_unload, merge_lora, unmerge_lora)
from tiny import tiny_bert, tiny_gpt2

SHAPES = [(4, 3), (16, 16), (24, 16)]


def perturb_B(model, seed=1):
    """Give every lora_B a random value, as training would, so merges change the weights."""
    torch.manual_seed(seed)
    for layer in lora_layers(model).values():
        nn.init.normal_(layer.lora_B.weight, std=0.5)


@pytest.mark.parametrize("d_in,d_out", SHAPES)
@pytest.mark.parametrize("r", [1, 2, 8])
def test_layer_shapes_init_and_scaling(d_in, d_out, r):
    layer = LoRALinear(nn.Linear(d_in, d_out), r=r, lora_alpha=16)
    assert layer.lora_A.weight.shape == (r, d_in)
    assert layer.lora_B.weight.shape == (d_out, r)
    assert torch.count_nonzero(layer.lora_B.weight) == 0
    bound = 1 / math.sqrt(d_in)  # kaiming_uniform_(a=sqrt(5)) on a (r, d_in) weight
    assert layer.lora_A.weight.abs().max() <= bound
    assert layer.scaling == 16 / r
    assert LoRALinear(nn.Linear(d_in, d_out), r=r, lora_alpha=16, use_rslora=True).scaling == 16 / math.sqrt(r)
    x = torch.randn(5, d_in)
    assert torch.equal(layer(x), layer.base_layer(x))


def test_forward_is_the_lora_equation():
    torch.manual_seed(0)
    layer = LoRALinear(nn.Linear(6, 5), r=3, lora_alpha=6)
    nn.init.normal_(layer.lora_B.weight)
    x = torch.randn(4, 6)
    W0, b = layer.base_layer.weight, layer.base_layer.bias
    A, B = layer.lora_A.weight, layer.lora_B.weight
    expected = x @ W0.T + b + (6 / 3) * x @ A.T @ B.T  # h = W0 x + (alpha/r) B A x
    torch.testing.assert_close(layer(x), expected)


def peft_twin(ours):
    """peft's lora.Linear around a copy of `ours`'s base layer, with the same A and B."""
    from peft import LoraConfig
    from peft.tuners.lora import Linear as PeftLinear
    options = dict(r=ours.r, lora_alpha=ours.lora_alpha, use_rslora=ours.use_rslora)
    theirs = PeftLinear(copy.deepcopy(ours.base_layer), "default", config=LoraConfig(**options), **options)
    theirs.lora_A["default"].weight.data.copy_(ours.lora_A.weight)
    theirs.lora_B["default"].weight.data.copy_(ours.lora_B.weight)
    return theirs


@pytest.mark.parametrize("rslora", [False, True])
def test_forward_and_gradients_equal_peft_layer(rslora):
    """The training path (MergedWeightLoRA: the update folded into W0, hand-written backward)
    against peft's lora.Linear on a 3-D input: outputs and the gradients of x, A and B."""
    torch.manual_seed(0)
    ours = LoRALinear(nn.Linear(24, 16), r=4, lora_alpha=8, use_rslora=rslora)
    nn.init.normal_(ours.lora_B.weight)
    theirs = peft_twin(ours)
    x = torch.randn(3, 7, 24)
    xs = [x.clone().requires_grad_(), x.clone().requires_grad_()]
    assert ours.folds(xs[0])
    outs = [ours(xs[0]), theirs(xs[1])]
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(outs[0])
    for out in outs:
        out.backward(grad)
    close = dict(rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(xs[0].grad, xs[1].grad, **close)
    torch.testing.assert_close(ours.lora_A.weight.grad, theirs.lora_A["default"].weight.grad, **close)
    torch.testing.assert_close(ours.lora_B.weight.grad, theirs.lora_B["default"].weight.grad, **close)
    assert ours.base_layer.weight.grad is None                    # W0 frozen: no dL/dW0 formed


@pytest.mark.parametrize("conv1d", [False, True])
@pytest.mark.parametrize("rslora", [False, True])
def test_fused_and_plain_training_paths_agree(conv1d, rslora):
    """The one switch, `LoRALinear.fused`: the fused step (MergedWeightLoRA, the backward by hand)
    and the plain one (autograd through add_update) give the same outputs and gradients of x, A, B."""
    from transformers.pytorch_utils import Conv1D
    torch.manual_seed(0)
    base = Conv1D(16, 24) if conv1d else nn.Linear(24, 16)
    fused = LoRALinear(base, r=4, lora_alpha=8, use_rslora=rslora)
    nn.init.normal_(fused.lora_B.weight)
    plain = copy.deepcopy(fused)
    plain.fused = False
    x = torch.randn(3, 7, 24)
    xs = [x.clone().requires_grad_(), x.clone().requires_grad_()]
    assert fused.folds(xs[0]) and not plain.folds(xs[1])
    outs = [fused(xs[0]), plain(xs[1])]
    assert not torch.equal(outs[0], fused.base_layer(x))                 # the update is there
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(outs[0])
    for out in outs:
        out.backward(grad)
    close = dict(rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(xs[0].grad, xs[1].grad, **close)
    torch.testing.assert_close(fused.lora_A.weight.grad, plain.lora_A.weight.grad, **close)
    torch.testing.assert_close(fused.lora_B.weight.grad, plain.lora_B.weight.grad, **close)


def test_an_unfrozen_base_still_gets_its_gradient():
    """Someone who unfreezes W0 (full fine-tuning, or the guide's mistake) must see it trained:
    the folded path, which returns no gradient for W0, is then not taken."""
    torch.manual_seed(0)
    layer = LoRALinear(nn.Linear(6, 4), r=2, lora_alpha=4)
    layer.base_layer.weight.requires_grad_(True)
    x = torch.randn(3, 6)
    assert not layer.folds(x)
    layer(x).sum().backward()
    torch.testing.assert_close(layer.base_layer.weight.grad, torch.ones(4, 1) * x.sum(0))  # dL/dW0 = 1^T X


def test_inference_path_equals_peft_layer_and_bf16_autocast_runs():
    """Without gradients (prediction) and under bf16 autocast the layer takes the fused addmm path."""
    torch.manual_seed(0)
    ours = LoRALinear(nn.Linear(24, 16), r=4, lora_alpha=8)
    nn.init.normal_(ours.lora_B.weight)
    theirs, x = peft_twin(ours), torch.randn(3, 7, 24)
    with torch.no_grad():
        assert not ours.folds(x)
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not ours.folds(x)
        low = ours(x)
    assert low.dtype == torch.bfloat16
    torch.testing.assert_close(low.float(), theirs(x), rtol=0.05, atol=0.05)


def test_dropout_only_on_lora_path():
    torch.manual_seed(0)
    layer = LoRALinear(nn.Linear(6, 5), r=2, lora_alpha=2, lora_dropout=0.5).train()
    x = torch.randn(4, 6)
    assert torch.equal(layer(x), layer.base_layer(x))  # B = 0: dropout cannot leak into the base path


@pytest.mark.parametrize("bad", [dict(r=0), dict(r=-2), dict(r=2.5), dict(lora_alpha=0),
                                 dict(lora_alpha=-1), dict(lora_dropout=1.0), dict(lora_dropout=-0.1)])
def test_bad_options_are_refused(bad):
    options = dict(r=2, lora_alpha=4, lora_dropout=0.0) | bad
    with pytest.raises(ConfigError, match=next(iter(bad))):
        LoRALinear(nn.Linear(4, 4), **options)


def test_only_lora_and_head_are_trainable_and_counts(inputs):
    model = tiny_bert()
    before = model(**inputs).logits
    apply_lora(model, ["query", "value"], r=4, lora_alpha=8, modules_to_save=["classifier"])
    torch.testing.assert_close(model(**inputs).logits, before, rtol=0, atol=0)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(".lora_" in n or n.startswith("classifier.") for n in trainable)
    layers = lora_layers(model)
    assert len(layers) == 4
    lora_count = sum(4 * (l.in_features + l.out_features) for l in layers.values())
    head = sum(p.numel() for p in model.classifier.parameters())
    assert count_parameters(model)[0] == lora_count + head


@pytest.mark.parametrize("r", [1, 4, 8])
def test_trainable_count_equals_peft(r):
    from peft import LoraConfig, get_peft_model
    ours = apply_lora(tiny_bert(), ["query", "value"], r=r, modules_to_save=["classifier"])
    theirs = get_peft_model(tiny_bert(), LoraConfig(r=r, lora_alpha=16, target_modules=["query", "value"],
                                                    modules_to_save=["classifier"]))
    assert count_parameters(ours)[0] == theirs.get_nb_trainable_parameters()[0]


@pytest.mark.parametrize("build", [tiny_bert, tiny_gpt2])
def test_merge_and_unmerge(build, inputs):
    target = ["c_attn"] if build is tiny_gpt2 else ["query", "value"]
    model = apply_lora(build(), target, r=4)
    perturb_B(model)
    weights = {n: l.base_layer.weight.clone() for n, l in lora_layers(model).items()}
    unmerged = model(**inputs).logits
    merge_lora(model)
    torch.testing.assert_close(model(**inputs).logits, unmerged, rtol=0, atol=1e-5)
    with pytest.raises(MergeError, match="already merged"):
        merge_lora(model)
    unmerge_lora(model)
    for name, layer in lora_layers(model).items():
        torch.testing.assert_close(layer.base_layer.weight, weights[name], rtol=0, atol=1e-6)
    with pytest.raises(MergeError, match="not merged"):
        unmerge_lora(model)


def test_scale_update_interpolates_between_the_base_and_the_trained_weights(inputs):
    """WiSE-FT with LoRA: keeping a fraction f of the update gives W0 + f (W_trained - W0) in every
    layer, `rescaled` computes the same model without touching the weights, and both refuse a
    merged model (its update would stay in W0)."""
    from lorakit.lora import rescaled, scale_update
    model = apply_lora(tiny_bert(), ["query", "value"], r=4)
    perturb_B(model)
    base = {n: l.base_layer.weight.clone() for n, l in lora_layers(model).items()}
    trained = {n: base[n] + l.get_delta_weight_rows() for n, l in lora_layers(model).items()}
    with rescaled(model, 0.3):
        expected = model(**inputs).logits
    assert all(l.scaling == 16 / 4 for l in lora_layers(model).values())
    scale_update(model, 0.3)
    torch.testing.assert_close(model(**inputs).logits, expected)
    for name, layer in lora_layers(model).items():
        torch.testing.assert_close(layer.base_layer.weight + layer.get_delta_weight_rows(),
                                   base[name] + 0.3 * (trained[name] - base[name]))
    merge_lora(model)
    with pytest.raises(MergeError, match="unmerged"):
        scale_update(model, 0.5)
    with pytest.raises(MergeError, match="unmerged"):
        with rescaled(model, 0.5):
            pass


def test_eval_does_not_merge(inputs):
    model = apply_lora(tiny_bert(), ["query"], r=2)
    model.eval()
    assert not any(l.merged for l in lora_layers(model).values())


def test_merge_and_unload_gives_plain_model(inputs):
    model = apply_lora(tiny_bert(), ["query", "value"], r=4)
    perturb_B(model)
    expected = model(**inputs).logits
    plain = merge_and_unload(model)
    assert not lora_layers(plain)
    torch.testing.assert_close(plain(**inputs).logits, expected, rtol=0, atol=1e-5)


def test_conv1d_gpt2_matches_peft(inputs):
    from peft import LoraConfig, get_peft_model
    ours = apply_lora(tiny_gpt2(), ["c_attn"], r=2, modules_to_save=["score"])
    theirs = get_peft_model(tiny_gpt2(), LoraConfig(r=2, lora_alpha=16, target_modules=["c_attn"],
                                                    fan_in_fan_out=True, modules_to_save=["score"]))
    assert ours.lora_config.fan_in_fan_out
    assert count_parameters(ours)[0] == theirs.get_nb_trainable_parameters()[0]
    torch.testing.assert_close(ours(**inputs).logits, theirs(**inputs).logits)


def test_target_module_forms():
    names = lambda m: sorted(lora_layers(m))
    regex = apply_lora(tiny_bert(), r"bert\.encoder\.layer\.0\.attention\.self\.(query|value)")
    assert names(regex) == ["bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.0.attention.self.value"]
    every = apply_lora(tiny_bert(), "all-linear", modules_to_save=["classifier"])
    assert "classifier" not in lora_layers(every) and len(lora_layers(every)) == 2 * 6 + 1  # + pooler
    assert every.lora_config.target_modules == ["dense", "key", "query", "value"]


def test_top_layers_adapt_the_last_blocks_and_peft_reads_the_recorded_regex():
    from peft import LoraConfig, get_peft_model
    from peft.tuners.lora import LoraLayer
    top = apply_lora(tiny_bert(), "top-1", modules_to_save=["classifier"])     # tiny_bert: 2 layers
    assert sorted(lora_layers(top)) == sorted(n for n in lora_layers(apply_lora(tiny_bert(), "all-linear"))
                                              if n.startswith("bert.encoder.layer.1."))
    regex = top.lora_config.target_modules
    theirs = get_peft_model(tiny_bert(), LoraConfig(r=8, target_modules=regex))
    assert sorted(n.removeprefix("base_model.model.") for n, m in theirs.named_modules()
                  if isinstance(m, LoraLayer)) == sorted(lora_layers(top))
    for same in ("top-1/2", "top-2/3"):                                   # 2 x 1/2 = 1; 2 x 2/3 rounds to 1
        assert sorted(lora_layers(apply_lora(tiny_bert(), same))) == sorted(lora_layers(top))
    assert len(lora_layers(apply_lora(tiny_bert(), "top-2"))) == 2 * 6
    for bad in ("top-3", "top-0", "top-3/2", "top-1/0"):
        with pytest.raises(ConfigError, match=rf"'{bad}': this model has 2 blocks \(bert.encoder.layer\)"):
            apply_lora(tiny_bert(), bad)


def test_unknown_target_lists_layers():
    with pytest.raises(ConfigError, match=r"matches no Linear layer; this model has: .*query.*value"):
        apply_lora(tiny_bert(), ["q_proj"])
    with pytest.raises(ConfigError, match="modules_to_save"):
        apply_lora(tiny_bert(), ["query"], modules_to_save=["head"])
    with pytest.raises(ConfigError, match=r"'\(query' is not a valid regular expression: missing \)"):
        apply_lora(tiny_bert(), "(query")


def test_apply_twice_is_refused():
    model = apply_lora(tiny_bert(), ["query"])
    with pytest.raises(ConfigError, match="already has LoRA"):
        apply_lora(model, ["value"])


def test_bundled_model_offline():
    model = lorakit.load_task_model("sentiment", labels=["negative", "positive"])
    tokenizer = lorakit.load_tokenizer()
    batch = tokenizer(["not bad at all", "a dull, slow film"], padding=True, return_tensors="pt")
    model.eval()
    before = model(**batch).logits
    apply_lora(model, lorakit.default_target_modules(model.config.model_type), r=8,
               modules_to_save=lorakit.models.head_module_names(model))
    torch.testing.assert_close(model(**batch).logits, before, rtol=0, atol=0)
    trainable, total = count_parameters(model)
    assert trainable == 12 * 8 * (384 + 384) + 384 * 2 + 2
    assert trainable / total < 0.01


def test_apply_lora_takes_a_lora_config_of_lorakit_or_peft():
    import peft

    from lorakit import LoraConfig
    from tiny import tiny_bert
    by_name = apply_lora(tiny_bert(), ["query", "value"], r=4, lora_alpha=8, modules_to_save=["classifier"])
    ours = apply_lora(tiny_bert(), LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"],
                                              modules_to_save=["classifier"]))
    theirs = apply_lora(tiny_bert(), peft.LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"],
                                                     modules_to_save=["classifier"]))
    assert count_parameters(by_name) == count_parameters(ours) == count_parameters(theirs)
    assert sorted(lora_layers(theirs)) == sorted(lora_layers(by_name))
    assert all(layer.scaling == 2.0 for layer in lora_layers(theirs).values())

"""lorakit.audit tells LoRA from full fine-tuning labelled as LoRA, on tiny BERTs (no download)."""
import peft
import pytest
import torch

import lorakit
from lorakit.audit import audit_lora
from tiny import tiny_bert


def batch():
    gen = torch.Generator().manual_seed(0)
    return {"input_ids": torch.randint(1, 64, (4, 7), generator=gen), "labels": torch.tensor([0, 1, 2, 1])}


def loss(model):
    return model(**batch()).loss


def lora_model(r=4):
    return lorakit.apply_lora(tiny_bert(), ["query", "value"], r=r, lora_alpha=8, modules_to_save=["classifier"])


@pytest.mark.parametrize("r", [1, 4])
def test_lora_passes_and_counts_only_adapter_and_head(r):
    model = lora_model(r)
    audit = audit_lora(model, loss)
    assert audit, audit
    assert audit.adapter == 2 * 2 * r * (16 + 16)        # 2 layers x (query, value) x r (d_in + d_out)
    assert audit.trainable == audit.adapter + 3 * 16 + 3
    assert audit.moved_base == [] and audit.trainable_base == [] and audit.adapter_moved
    assert str(audit).startswith("LoRA:")


def test_unfrozen_lora_is_full_fine_tuning_and_is_caught():
    model = lora_model()
    for p in model.parameters():
        p.requires_grad_(True)                          # the mistake: adapters added, nothing frozen
    audit = audit_lora(model, loss)
    assert not audit
    assert audit.trainable == audit.total
    assert "bert.encoder.layer.0.attention.self.query.base_layer.weight" in audit.moved_base
    assert "bert.embeddings.word_embeddings.weight" in audit.trainable_base
    assert str(audit).startswith("NOT LoRA:")


def test_one_trainable_layer_norm_is_caught():
    model = lora_model()
    model.bert.encoder.layer[1].output.LayerNorm.weight.requires_grad_(True)
    audit = audit_lora(model, loss)
    assert not audit
    assert audit.trainable_base == ["bert.encoder.layer.1.output.LayerNorm.weight"]
    assert audit.moved_base == ["bert.encoder.layer.1.output.LayerNorm.weight"]


def test_no_adapter_or_nothing_trainable_is_not_lora():
    full = tiny_bert()                                  # plain full fine-tuning
    assert not audit_lora(full, loss)
    frozen = lora_model()
    for p in frozen.parameters():
        p.requires_grad_(False)                         # nothing trains: the step proves nothing
    audit = audit_lora(frozen, loss)
    assert not audit and audit.adapter == 0 and not audit.adapter_moved


def test_the_model_leaves_the_audit_unchanged():
    model = lora_model()
    for p in model.parameters():
        p.requires_grad_(True)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    audit_lora(model, loss)
    assert all(torch.equal(p, before[n]) for n, p in model.named_parameters())
    assert all(p.grad is None for p in model.parameters())
    assert not model.training                           # tiny_bert() is in eval mode, and stays so


def test_peft_models_pass_with_the_same_trainable_count():
    config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"], modules_to_save=["classifier"])
    model = peft.get_peft_model(tiny_bert(), config)
    audit = audit_lora(model, loss)
    assert audit, audit
    assert audit.trainable == audit_lora(lora_model(), loss).trainable

"""Two task adapters on one shared body: switching gives each model exactly its own outputs."""
import pytest
import torch
from transformers import BertForTokenClassification

from lorakit import AdapterError, apply_lora
from lorakit.switch import SharedBody
from tiny import tiny_bert


def trained_like(model, seed):
    """Give every LoRA factor and head weight random values, as if trained."""
    torch.manual_seed(seed)
    for p in model.parameters():
        if p.requires_grad:
            p.data.normal_(0, 0.5)
    return model


def sentiment_and_ner():
    sentiment = trained_like(apply_lora(tiny_bert(), ["query", "value"], r=2,
                                        modules_to_save=["classifier"]), 1)
    body = tiny_bert()
    ner = BertForTokenClassification(body.config).eval()
    ner.bert.load_state_dict(body.bert.state_dict(), strict=False)  # the same pretrained body
    ner = trained_like(apply_lora(ner, ["query", "value"], r=2, lora_alpha=4,
                                  modules_to_save=["classifier"]), 2)
    return sentiment, ner


def test_switching_reproduces_each_models_outputs(inputs):
    sentiment, ner = sentiment_and_ner()
    with torch.no_grad():
        expected = {"sentiment": sentiment(**inputs).logits, "ner": ner(**inputs).logits}
    separate = sum(p.numel() for m in (sentiment, ner) for p in m.parameters())
    bank = SharedBody()
    bank.add("sentiment", sentiment)
    bank.add("ner", ner)
    assert ner.bert is sentiment.bert  # one body in memory
    assert bank.parameter_count() < separate
    for name in ["ner", "sentiment", "ner", "sentiment"]:
        with torch.no_grad():
            got = bank.use(name)(**inputs).logits
        torch.testing.assert_close(got, expected[name], rtol=0, atol=1e-6)
    assert bank.active == "sentiment"


def test_other_base_model_and_unknown_name_are_refused():
    sentiment, _ = sentiment_and_ner()
    other = trained_like(apply_lora(tiny_bert(seed=7), ["query", "value"], r=2), 3)
    bank = SharedBody()
    bank.add("sentiment", sentiment)
    with pytest.raises(AdapterError, match="differs from the shared body"):
        bank.add("other", other)
    other_rank = apply_lora(tiny_bert(), ["query", "value"], r=4)
    with pytest.raises(AdapterError, match="does not fit the shared body .another rank"):
        bank.add("r4", other_rank)
    with pytest.raises(AdapterError, match="other layers"):
        bank.add("query only", apply_lora(tiny_bert(), ["query"], r=2))
    with pytest.raises(AdapterError, match="no adapter named 'qa'"):
        bank.use("qa")

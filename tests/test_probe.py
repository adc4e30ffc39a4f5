"""lorakit.probe: frozen sentence features (mean, [CLS], pooler) and the logistic-regression probe."""
import pytest
import torch
from tiny import tiny_bert

from lorakit import ConfigError
from lorakit.models import load_tokenizer
from lorakit.probe import fit_probe, mean_pooled_features, sentence_features

TEXTS = ["A fine film.", "I did not like the soup at all, and the waiter was rude.", "Great."]


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer()          # the bundled model's tokenizer (offline)


@pytest.fixture(scope="module")
def model():
    return tiny_bert(vocab_size=30522, max_position_embeddings=64, num_labels=2)


def one_by_one(model, tokenizer, pooling):
    return torch.cat([sentence_features(model, tokenizer, [t], pooling) for t in TEXTS])


@pytest.mark.parametrize("pooling", ["mean", "cls", "pooler"])
def test_padding_does_not_change_a_text_s_features(model, tokenizer, pooling):
    batched = sentence_features(model, tokenizer, TEXTS, pooling, batch_size=3)   # padded to the longest
    torch.testing.assert_close(batched, one_by_one(model, tokenizer, pooling), atol=1e-5, rtol=1e-5)


def test_mean_is_the_average_of_the_real_tokens(model, tokenizer):
    batch = tokenizer(TEXTS[:1], return_tensors="pt")
    with torch.no_grad():
        hidden = model.bert(**batch).last_hidden_state[0]              # (T, H)
    torch.testing.assert_close(mean_pooled_features(model, tokenizer, TEXTS[:1])[0], hidden.mean(0))


def test_cls_and_pooler_read_the_first_token(model, tokenizer):
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model.bert(**batch)
    torch.testing.assert_close(sentence_features(model, tokenizer, TEXTS, "cls"), out.last_hidden_state[:, 0])
    torch.testing.assert_close(sentence_features(model, tokenizer, TEXTS, "pooler"), out.pooler_output)
    assert not torch.allclose(sentence_features(model, tokenizer, TEXTS, "mean"), out.last_hidden_state[:, 0])


def test_features_leave_the_model_as_it_was(model, tokenizer):
    model.train()
    sentence_features(model, tokenizer, TEXTS)
    assert model.training and model.bert.training
    model.eval()


def test_bad_pooling_is_refused(model, tokenizer):
    with pytest.raises(ConfigError, match="pooling must be one of"):
        sentence_features(model, tokenizer, TEXTS, "max")


def gaussian_classes(n, features, seed, shift):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, features, generator=g)
    x[:, 0] += shift * (2 * y - 1)                 # class 1 to the right, class 0 to the left
    return x, y.tolist()


def test_probe_separates_separable_classes():
    x, y = gaussian_classes(200, 10, seed=0, shift=4.0)
    x_eval, y_eval = gaussian_classes(100, 10, seed=1, shift=4.0)
    probe = fit_probe(x, y, x_eval, y_eval)
    assert probe.train_accuracy == 1.0 and probe.accuracy >= 0.98
    assert probe.predictions == probe.predict(x_eval.double())


def test_probe_is_at_chance_on_noise():
    x, y = gaussian_classes(200, 10, seed=0, shift=0.0)
    x_eval, y_eval = gaussian_classes(400, 10, seed=1, shift=0.0)
    assert 0.4 <= fit_probe(x, y, x_eval, y_eval).accuracy <= 0.6


def test_probe_is_deterministic_and_weight_decay_shrinks_it():
    x, y = gaussian_classes(100, 5, seed=0, shift=1.0)
    a, b = fit_probe(x, y, x, y), fit_probe(x, y, x, y)
    torch.testing.assert_close(a.weight, b.weight)
    strong = fit_probe(x, y, x, y, weight_decay=1.0)
    assert strong.weight.norm() < a.weight.norm()


def test_probe_matches_a_known_solution():
    # Two points, no penalty to speak of: the standardised feature is -1 and +1, so the optimum
    # pushes the logit difference apart symmetrically and the bias difference stays at zero.
    probe = fit_probe(torch.tensor([[-3.0], [5.0]]), [0, 1], torch.tensor([[0.9], [1.1]]), [0, 1],
                      weight_decay=1e-2)
    assert probe.predictions == [0, 1]          # the midpoint 1.0 is the boundary
    torch.testing.assert_close(probe.bias[1] - probe.bias[0], torch.tensor(0.0, dtype=torch.float64),
                               atol=1e-6, rtol=0)


def test_several_poolings_in_one_pass_equal_one_at_a_time(model, tokenizer):
    both = sentence_features(model, tokenizer, TEXTS, ("mean", "pooler"), batch_size=2)
    for pooling in ("mean", "pooler"):
        torch.testing.assert_close(both[pooling], one_by_one(model, tokenizer, pooling), atol=1e-5, rtol=1e-5)

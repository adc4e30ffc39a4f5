"""Linear probes: how much a frozen encoder's features already know, before any fine-tuning.

A head-only run trains one linear layer on features that never change. Which features it reads
matters. `BertForSequenceClassification` reads the `[CLS]` token's final vector through BERT's
pooler (a Linear layer and tanh, pretrained for next-sentence prediction). all-MiniLM-L6-v2, the
course's bundled model, is a sentence encoder that Sentence-BERT (Reimers and Gurevych, 2019,
arXiv 1908.10084) trained with MEAN pooling: its sentence embedding is the average of the token
vectors, and its `[CLS]` and pooler outputs were never trained to summarise the sentence. A fair
verdict on "frozen features" therefore reads them the way the encoder was trained to give them.

`sentence_features` reads a frozen encoder's sentence vectors three ways (`pooling`):

    mean    the mean of the last layer's vectors over the real tokens (sentence-transformers' way)
    cls     the last layer's vector of the first token, [CLS]
    pooler  BERT's pooler on [CLS] (what the classification head of transformers reads)

`fit_probe` fits a logistic regression on such features (standardised, L2-regularised, full batch
with L-BFGS, so the result does not depend on a learning rate or a number of epochs) and scores it.

Example:
    >>> import torch
    >>> x = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.1, 0.9], [0.9, 0.2]])   # (n, features)
    >>> probe = fit_probe(x, [1, 0, 1, 0], x, [1, 0, 1, 0])
    >>> probe.train_accuracy, probe.accuracy
    (1.0, 1.0)
"""
from dataclasses import dataclass

import torch

from .errors import ConfigError

POOLINGS = ("mean", "cls", "pooler")


@torch.no_grad()
def sentence_features(model, tokenizer, texts, pooling="mean", batch_size=32, max_length=128):
    """One frozen feature vector per text: (n, hidden), float32, on the CPU.

    `model` is a BERT-like encoder (`AutoModel`) or a task model around one (its `base_model` is
    used, so a head never runs). `pooling` is one of POOLINGS, or a tuple of them: then a dict
    {pooling: (n, hidden)} from one forward pass. Texts are batched shortest first, so that little
    is padding, and returned in their own order; padding never changes a text's vector.

    >>> from transformers import AutoModel
    >>> from lorakit.models import default_model, load_tokenizer
    >>> model, tokenizer = AutoModel.from_pretrained(default_model()), load_tokenizer()
    >>> sentence_features(model, tokenizer, ["Great film.", "Not great at all."]).shape
    torch.Size([2, 384])
    >>> {k: v.shape for k, v in sentence_features(model, tokenizer, ["Fine."], ("mean", "cls")).items()}
    {'mean': torch.Size([1, 384]), 'cls': torch.Size([1, 384])}
    """
    poolings = (pooling,) if isinstance(pooling, str) else tuple(pooling)
    if not set(poolings) <= set(POOLINGS):
        raise ConfigError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    encoder = model.base_model
    was_training = encoder.training
    encoder.eval()
    device = next(encoder.parameters()).device
    texts = list(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))      # short with short
    chunks = {name: [] for name in poolings}
    for start in range(0, len(texts), batch_size):
        batch = tokenizer([texts[i] for i in order[start:start + batch_size]], padding=True,
                          truncation=True, max_length=max_length, return_tensors="pt").to(device)
        out = encoder(**batch)
        for name in poolings:
            chunks[name].append(pool(out, batch["attention_mask"], name).float().cpu())
    encoder.train(was_training)
    back = torch.argsort(torch.tensor(order))                            # sorted position of each text
    features = {name: torch.cat(parts)[back] for name, parts in chunks.items()}   # (n, H) each
    return features[pooling] if isinstance(pooling, str) else features


def pool(out, attention_mask, pooling):
    """(B, H) sentence vectors from an encoder's output `out` for a batch with `attention_mask` (B, T)."""
    hidden = out.last_hidden_state                                       # (B, T, H)
    if pooling == "mean":
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)             # (B, T, 1)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)         # (B, H)
    if pooling == "cls":
        return hidden[:, 0]                                              # (B, H)
    if out.pooler_output is None:
        raise ConfigError("this encoder has no pooler; use pooling='mean' or 'cls'")
    return out.pooler_output                                             # (B, H)


def mean_pooled_features(model, tokenizer, texts, batch_size=32, max_length=128):
    """The sentence-transformers embedding of each text, before normalisation: (n, hidden).

    The mean of the last layer's token vectors over the real tokens (`sentence_features` with
    pooling="mean"), which is how all-MiniLM-L6-v2 was trained to represent a sentence.
    """
    return sentence_features(model, tokenizer, texts, "mean", batch_size, max_length)


@dataclass
class Probe:
    """A fitted linear probe and its scores."""

    weight: torch.Tensor        # (classes, features), on standardised features
    bias: torch.Tensor          # (classes,)
    mean: torch.Tensor          # (features,) of the training features
    std: torch.Tensor           # (features,)
    train_accuracy: float
    accuracy: float             # on the evaluation features
    predictions: list           # class ids predicted for the evaluation features

    def logits(self, features):
        """(n, classes) logits of features (n, features)."""
        return ((features - self.mean) / self.std) @ self.weight.T + self.bias

    def predict(self, features):
        """Class ids, a list of ints."""
        return self.logits(features).argmax(-1).tolist()


def fit_probe(train_features, train_labels, eval_features, eval_labels, weight_decay=1e-3,
              max_iter=500):
    """Fit a logistic regression on frozen features and score it on held-out ones.

    Features are standardised with the training set's mean and standard deviation; the loss is the
    mean cross-entropy plus `weight_decay` * ||W||^2 (the bias is not penalised), minimised with
    full-batch L-BFGS from zero weights, so the fit is deterministic. Labels are class ids.

    >>> x = torch.tensor([[2.0], [1.0], [-1.0], [-2.0]])               # one feature
    >>> probe = fit_probe(x, [1, 1, 0, 0], torch.tensor([[0.5], [-0.5]]), [1, 0])
    >>> probe.predictions, probe.accuracy
    ([1, 0], 1.0)
    """
    x = torch.as_tensor(train_features, dtype=torch.float64)          # (n, F)
    y = torch.as_tensor(train_labels, dtype=torch.long)               # (n,)
    mean, std = x.mean(0), x.std(0).clamp(min=1e-8)
    x = (x - mean) / std
    classes = int(max(y.max().item(), max(eval_labels)) + 1)
    weight = torch.zeros(classes, x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=max_iter, tolerance_grad=1e-9,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ weight.T + bias, y) + weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    probe = Probe(weight.detach(), bias.detach(), mean, std, 0.0, 0.0, [])
    probe.train_accuracy = accuracy(probe.predict(torch.as_tensor(train_features, dtype=torch.float64)), y.tolist())
    probe.predictions = probe.predict(torch.as_tensor(eval_features, dtype=torch.float64))
    probe.accuracy = accuracy(probe.predictions, list(eval_labels))
    return probe


def accuracy(predictions, labels):
    """The fraction of predictions equal to their labels."""
    return sum(int(p) == int(t) for p, t in zip(predictions, labels)) / len(labels)

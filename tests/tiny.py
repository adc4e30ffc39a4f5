"""Tiny models built from configs (no download) for fast invariant tests."""
import torch
from transformers import (BertConfig, BertForSequenceClassification, GPT2Config,
                          GPT2ForSequenceClassification)


def tiny_bert(seed=0, **overrides):
    torch.manual_seed(seed)
    options = dict(vocab_size=64, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                   intermediate_size=24, max_position_embeddings=32, num_labels=3)
    config = BertConfig(**(options | overrides))
    return BertForSequenceClassification(config).eval()


def tiny_gpt2(seed=0):
    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=64, n_embd=16, n_layer=2, n_head=2, n_positions=32, num_labels=2,
                        pad_token_id=0)
    return GPT2ForSequenceClassification(config).eval()


"""pytest fixtures shared by the test modules (the tiny models themselves live in tiny.py)."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
import torch


@pytest.fixture
def inputs():
    """A batch for the tiny models of tiny.py: 3 sequences of 7 token ids."""
    torch.manual_seed(123)
    return {"input_ids": torch.randint(1, 64, (3, 7)), "attention_mask": torch.ones(3, 7, dtype=torch.long)}

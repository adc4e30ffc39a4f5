"""lorakit.figures.production: each function returns a Figure with the expected elements and values."""
import math

import matplotlib
import torch
from matplotlib.figure import Figure

from lorakit.figures import production

matplotlib.use("agg")


def test_combinations_shows_what_ties_and_dare_keep():
    a = torch.tensor([[3.0, -1.0], [0.5, 2.0]])
    b = torch.tensor([[-1.0, -2.0], [0.25, -4.0]])
    fig = production.combinations(a, b, weights=(1.0, 1.0), density=0.5)
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes[:5]]
    assert titles == ["adapter 1", "adapter 2", "linear", "TIES", "DARE"]
    ties = fig.axes[3].images[0].get_array()
    # trim keeps 3, 2 of a and -2, -4 of b; the elected signs: +, -, (none), -; disjoint means
    assert ties[0, 0] == 3.0 and ties[0, 1] == -2.0 and ties[1, 1] == -4.0 and math.isnan(ties[1, 0])
    assert fig.axes[2].images[0].get_array()[0, 0] == 2.0           # linear: 3 + (-1)
    assert fig.axes[3].get_xlabel() == "75% of entries non-zero"


def test_inference_cost_draws_one_bar_per_model():
    fig = production.inference_cost({"unmerged": 0.3, "merged": 0.2})
    assert [float(p.get_height()) for p in fig.axes[0].patches] == [0.3, 0.2]
    assert fig.axes[0].get_ylabel() == "seconds per batch"

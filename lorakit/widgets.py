"""An explorer for the classroom: slide the LoRA rank and see metric, parameters and spectrum.

Core ipywidgets only (a SelectionSlider, Dropdowns and an Output), so it runs in JupyterLab and on
Colab, which ships ipywidgets 7. `describe_rank` does the work and returns plain values, so it is
tested without a browser; `rank_explorer` only wires it to the controls.

Example (in a notebook):
    table = read_results("results/sentiment_sweep.csv")
    rank_explorer({"sentiment": table}, spectra={("sentiment", 8): [1.2, 0.4]})
"""
import matplotlib.pyplot as plt
from IPython.display import display

from .plots import OKABE_ITO


def describe_rank(table, rank, metric, method="lora"):
    """Mean and spread of `metric` and the parameter count of `method` at `rank` in a sweep table."""
    rows = table[(table["method"] == method) & (table["rank"] == (rank if method == "lora" else 0))]
    if rows.empty:
        return {"runs": 0}
    return {"runs": len(rows), "mean": float(rows[metric].mean()), "min": float(rows[metric].min()),
            "max": float(rows[metric].max()), "trainable_params": int(rows["trainable_params"].iloc[0]),
            "train_seconds": float(rows["train_seconds"].mean())}


def _show(table, metric, method, rank, spectrum):
    info = describe_rank(table, rank, metric, method)
    if not info["runs"]:
        print(f"no {method} runs at rank {rank} in this table")
        return
    label = f"rank {rank}" if method == "lora" else method
    print(f"{label}: {metric} {info['mean']:.4f} (min {info['min']:.4f}, max {info['max']:.4f}, "
          f"{info['runs']} seeds) | {info['trainable_params']:,} trainable parameters | "
          f"{info['train_seconds']:.0f} s per run")
    if spectrum is not None:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.bar(range(1, len(spectrum) + 1), spectrum, color=OKABE_ITO["lora"])
        ax.set_xlabel("singular value index")
        ax.set_ylabel("singular value of dW")
        ax.set_title(f"spectrum of the learned update, rank {rank}")
        # Display this figure only, then close it: plt.show() would also show every other open figure
        # (a plot made in an earlier cell and never shown stays open when interactive mode is off).
        display(fig)
        plt.close(fig)


def validated_metric(table):
    """The metric a sweep's `table` validated on: the `<metric>` of its `val_<metric>` column.

    >>> import pandas as pd
    >>> validated_metric(pd.DataFrame(columns=["rank", "f1", "val_f1"]))
    'f1'
    """
    return next(column[len("val_"):] for column in table.columns if column.startswith("val_"))


def rank_explorer(tables, metrics=None, spectra=None):
    """A rank slider with task and method selectors over sweep tables.

    `tables` maps a task name to its results table; `metrics` maps a task to the column to show
    (default: the metric the sweep validated on, its `val_<metric>` column); `spectra` maps (task, rank) to the singular
    values of a trained adapter's update (e.g. `delta_weight_spectrum` of one layer), shown as bars.
    """
    import ipywidgets as w
    metrics = metrics or {t: validated_metric(table) for t, table in tables.items()}
    spectra = spectra or {}
    task = w.Dropdown(options=list(tables), description="task")
    method = w.Dropdown(options=["lora", "full", "head"], description="method")
    rank = w.SelectionSlider(options=[1], description="rank", continuous_update=False)
    out = w.Output()

    def ranks_for(name):
        return sorted(int(r) for r in tables[name].query("method == 'lora'")["rank"].unique()) or [1]

    def refresh(*_):
        rank.options = ranks_for(task.value)
        draw()

    def draw(*_):
        out.clear_output(wait=True)
        with out:
            _show(tables[task.value], metrics[task.value], method.value, rank.value,
                  spectra.get((task.value, rank.value)) if method.value == "lora" else None)

    task.observe(refresh, names="value")
    method.observe(draw, names="value")
    rank.observe(draw, names="value")
    refresh()
    return w.VBox([w.HBox([task, method]), rank, out])

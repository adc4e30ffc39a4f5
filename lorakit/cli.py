"""The command line: `python -m lorakit train|predict|evaluate|sweep` (also installed as `lorakit`).

Errors a user can cause (a bad file, option or adapter) print one line, `lorakit: error: ...`, and
exit with status 2; `--debug` shows the traceback instead.

Example:
    lorakit train --task sentiment --out runs/sentiment
    lorakit predict --model-dir runs/sentiment --input reviews.csv --output predictions.csv
    lorakit evaluate --model-dir runs/sentiment --data data/sentiment/test.csv
"""
import argparse
import json
import os
import sys
import warnings

from . import interrupts
from .errors import DataError, LorakitError, LorakitWarning, WriteError

TASKS = ("sentiment", "ner", "qa")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option gives one line (no usage block) and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def checked(convert, valid, expected):
    """An argparse type: `convert` the text, then require `valid(value)`; errors say `expected`."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not valid(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {value:g}")
        return value
    return parse


positive_int = checked(int, lambda v: v >= 1, "a positive integer")
non_negative_int = checked(int, lambda v: v >= 0, "an integer >= 0")
positive_float = checked(float, lambda v: 0 < v < float("inf"), "a number > 0")
dropout = checked(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
MAX_SEED = 2**32 - 1     # NumPy's seeds: 0 .. 2**32 - 1
seed = checked(int, lambda v: 0 <= v <= MAX_SEED, f"an integer in 0..{MAX_SEED}")


def int_list(text, what, valid, expected):
    """Comma-separated distinct integers, each `valid`; errors name `what` ("ranks", "seeds")."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, e.g. 1,2,4,8, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    bad = [v for v in values if not valid(v)]
    if bad:
        raise argparse.ArgumentTypeError(f"{what} must be {expected}, got {bad[0]}")
    twice = sorted({v for v in values if values.count(v) > 1})
    if twice:
        raise argparse.ArgumentTypeError(f"{what} must differ, got {twice[0]} twice")
    return values


def rank_list(text):
    return int_list(text, "ranks", lambda v: v >= 1, "positive integers")


def seed_list(text):
    return int_list(text, "seeds", lambda v: 0 <= v <= MAX_SEED, f"integers in 0..{MAX_SEED}")


def baseline_list(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in ("full", "head")]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown baseline {bad[0]!r} (valid: full, head)")
    return names


def name_list(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated layer names, e.g. query,value")
    return "all-linear" if names == ["all-linear"] else names


def add_train_options(p, sweep=False):
    p.add_argument("--task", required=True, choices=TASKS)
    if not sweep:
        p.add_argument("--method", default="lora", choices=("lora", "full", "head"))
        p.add_argument("--rank", type=positive_int, default=8, help="LoRA rank r (default 8)")
    p.add_argument("--alpha", type=positive_float, default=16, help="lora_alpha (default 16)")
    p.add_argument("--dropout", type=dropout, default=0.0, help="LoRA dropout in [0, 1) (default 0)")
    p.add_argument("--attention-dropout", type=dropout, default=None,
                   help="dropout on attention probabilities (default: the model's own; QA 0)")
    p.add_argument("--max-length", type=positive_int, default=None,
                   help="tokens per example or QA window (default 128, QA 256)")
    p.add_argument("--doc-stride", type=non_negative_int, default=None,
                   help="QA: tokens shared by neighbouring windows of a long context (default 64)")
    p.add_argument("--label-all-tokens", action="store_true",
                   help="NER: train on every sub-token of a word, not only the first")
    p.add_argument("--rslora", action="store_true", help="scale by alpha/sqrt(r) instead of alpha/r")
    p.add_argument("--target-modules", type=name_list, default=None,
                   help="layers to adapt, e.g. query,value (default: the model family's) or all-linear")
    p.add_argument("--epochs", type=positive_int, default=None, help="default: 3, QA 1")
    p.add_argument("--batch-size", type=positive_int, default=None, help="default: 32, QA 16")
    p.add_argument("--lr", type=positive_float, default=None, help="learning rate (default by method)")
    if not sweep:
        p.add_argument("--seed", type=seed, default=0, help=f"random seed in 0..{MAX_SEED} (default 0)")
    p.add_argument("--model", default=None, help="Hub name or folder (default: bundled all-MiniLM-L6-v2)")
    p.add_argument("--train", default=None, help="training file (default: the bundled train split)")
    p.add_argument("--eval", default=None, help="validation file (default: the bundled validation split)")
    p.add_argument("--data-source", default="bundled", choices=("bundled", "hub"),
                   help="hub: CoNLL-2003, SST-2 or SQuAD from the Hugging Face Hub")
    p.add_argument("--max-train-examples", type=positive_int, default=None)
    p.add_argument("--max-eval-examples", type=positive_int, default=None)
    p.add_argument("--patience", type=positive_int, default=2, help="early-stopping patience in epochs")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    p.add_argument("--precision", default="auto", choices=("auto", "no", "fp16", "bf16"))


def build_parser():
    parser = OneLineParser(prog="lorakit", description="LoRA fine-tuning for the lorakit course.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    p = sub.add_parser("train", help="fine-tune a model and save the adapter")
    add_train_options(p)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("sweep", help="train one run per rank and seed; write results.csv and a plot")
    add_train_options(p, sweep=True)
    p.add_argument("--ranks", type=rank_list, default=[1, 2, 4, 8, 16], help="e.g. 1,2,4,8,16")
    p.add_argument("--seeds", type=seed_list, default=[0], help="e.g. 0,1,2")
    p.add_argument("--baselines", type=baseline_list, default=[], help="full, head or full,head")
    p.add_argument("--out", required=True, help="folder for results.csv and the plot")
    p.add_argument("--save-runs", action="store_true", help="also save each run under OUT/runs/")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("predict", help="write predictions for a file")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)

    p = sub.add_parser("evaluate", help="print metrics of a trained run on a labelled file")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--data", required=True)
    for p in sub.choices.values():  # SUPPRESS: `lorakit --debug train` keeps the top-level value
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    return parser


def config_from_args(args):
    from .train import TrainConfig
    return TrainConfig(task=args.task, method=getattr(args, "method", "lora"),
                       r=getattr(args, "rank", 8), lora_alpha=args.alpha,
                       lora_dropout=args.dropout, attention_dropout=args.attention_dropout,
                       use_rslora=args.rslora, max_length=args.max_length,
                       doc_stride=args.doc_stride, label_all_tokens=args.label_all_tokens,
                       target_modules=args.target_modules, model=args.model,
                       train_file=args.train, eval_file=args.eval, data_source=args.data_source,
                       max_train_examples=args.max_train_examples,
                       max_eval_examples=args.max_eval_examples, epochs=args.epochs,
                       batch_size=args.batch_size, lr=args.lr, patience=args.patience,
                       seed=getattr(args, "seed", 0), device=args.device, precision=args.precision)


def cmd_train(args):
    from accelerate import PartialState

    from .runs import check_out_dir, expected_size, save_run
    from .train import train
    config = config_from_args(args)
    check_out_dir(args.out, args.overwrite, inputs=(args.train, args.eval), need_bytes=expected_size(config))
    result = train(config, progress=not args.quiet)
    if PartialState().is_main_process:  # under torchrun only rank 0 writes
        save_run(result, args.out, overwrite=args.overwrite)
        print(json.dumps(_shown(result.metrics), indent=2))
        print(f"saved to {args.out}")


def cmd_sweep(args):
    from pathlib import Path

    from .plots import plot_rank_sweep
    from .sweep import check_sweep_out, run_sweep
    from .tasks import get_task
    check_sweep_out(args.out)
    table = run_sweep(args.task, args.ranks, args.seeds, args.baselines, args.out,
                      base_config=config_from_args(args), progress=not args.quiet,
                      save_runs=args.save_runs)
    metric = get_task(args.task).main_metric
    plot = Path(args.out) / f"rank_vs_{metric}.png"
    plot_rank_sweep(table, metric, title=f"{args.task}: LoRA rank vs {metric}", path=plot)
    print(f"{len(table)} runs in {Path(args.out) / 'results.csv'}; plot in {plot}")


def _shown(metrics):
    return {k: v for k, v in metrics.items() if not isinstance(v, (list, dict))}


def load_for(args, path):
    """The trained run and `path` read in its task's format, with labels checked against the run."""
    from .data import read_task_file
    from .runs import load_run
    from .tasks import get_task
    model, tokenizer, info = load_run(args.model_dir)
    dataset = read_task_file(info["task"], path, require_labels=False)
    names = get_task(info["task"]).label_names(dataset)
    if names is not None and info["labels"] is not None and list(names) != list(info["labels"]):
        raise DataError(f"{path}: labels {names} do not match the run's labels {info['labels']}")
    return model, tokenizer, info, dataset


def check_output_file(output, input, model_dir):
    """Raise WriteError unless predictions can go to `output`: a new or plain file, not the input
    file and not a file of the run, in a folder that can be written."""
    from pathlib import Path

    from ._io import check_can_write, same_file
    output = Path(output)
    if output.is_dir():
        raise WriteError(f"--output {output}: is a folder; give a file name")
    if same_file(output, input):
        raise WriteError(f"--output {output}: is the --input file; the predictions would replace it")
    if output.exists() and same_file(output.parent, model_dir):
        raise WriteError(f"--output {output}: is a file of the run in --model-dir; choose another name")
    check_can_write(output, "--output")


def cmd_predict(args):
    from .tasks import get_task
    from .train import predict
    check_output_file(args.output, args.input, args.model_dir)
    model, tokenizer, info, dataset = load_for(args, args.input)
    predictions = predict(model, tokenizer, info["task"], dataset, options=info["options"])
    get_task(info["task"]).write_predictions(dataset, predictions, args.output)
    print(f"wrote {len(predictions)} predictions to {args.output}")


def cmd_evaluate(args):
    from .tasks import get_task
    from .train import evaluate
    model, tokenizer, info, dataset = load_for(args, args.data)
    gold = get_task(info["task"]).label_column or "answers"
    if gold not in dataset.column_names:
        raise DataError(f"{args.data}: has no gold {gold!r} to evaluate against")
    _, metrics = evaluate(model, tokenizer, info["task"], dataset, options=info["options"])
    print(json.dumps(metrics, indent=2))


COMMANDS = {"train": cmd_train, "predict": cmd_predict, "evaluate": cmd_evaluate, "sweep": cmd_sweep}


def show_warning(message, category, filename, lineno, file=None, line=None, _default=warnings.showwarning):
    """lorakit's own warnings as one line, `lorakit: warning: ...`; others as Python shows them."""
    if issubclass(category, LorakitWarning):
        print(f"lorakit: warning: {message}", file=sys.stderr)
    else:
        _default(message, category, filename, lineno, file, line)


def main(argv=None):
    """Run one command; 0 on success, 2 for bad input, 130 when stopped by Ctrl-C or SIGTERM.

    Ctrl-C and SIGTERM stop it at any moment (imports, tokenisation, training, saving) and keep what
    had finished: finished files are whole on disk, and nothing half-written stays behind.
    """
    interrupts.install()
    warnings.showwarning = show_warning
    args = None
    try:
        args = build_parser().parse_args(argv)
        COMMANDS[args.command](args)
        interrupts.check()
    except KeyboardInterrupt:
        return interrupted()
    except Exception as e:
        if interrupts.pending() is not None:   # what the interrupt broke on its way (a half-done import)
            return interrupted()
        if not isinstance(e, LorakitError) or getattr(args, "debug", False):
            raise
        print(f"lorakit: error: {e}", file=sys.stderr)
        return 2
    return 0


def interrupted():
    print("lorakit: interrupted", file=sys.stderr)
    return 130


def run():
    """The `lorakit` program: `main()`, then exit with its status.

    Stopped by a signal, it exits at once with status 130 (after flushing its output): Python's own
    shutdown would otherwise end such a process by SIGINT whenever the interrupt passed through C
    code that runs Python (a flag it never clears), and a second Ctrl-C could land in that shutdown.
    """
    status = main()
    if status == 130:
        interrupts.ignore()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(status)

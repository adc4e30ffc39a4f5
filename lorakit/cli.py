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


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option gives one line (no usage block) and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def int_list(text, what, check):
    """Comma-separated distinct integers, each passing `check`; errors name `what` ("ranks")."""
    items = [v.strip() for v in text.split(",")]
    if "" in items and any(items):
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got an empty item in {text!r}")
    try:
        values = [int(v) for v in items if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, e.g. 1,2,4,8, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    bad = [v for v in values if not check.ok(v)]
    if bad:
        raise argparse.ArgumentTypeError(f"each of the {what} must be {check.expected}, got {bad[0]}")
    twice = sorted({v for v in values if values.count(v) > 1})
    if twice:
        raise argparse.ArgumentTypeError(f"{what} must differ, got {twice[0]} twice")
    return values


def rank_list(text):
    from .config import POSITIVE_INT
    return int_list(text, "ranks", POSITIVE_INT)


def seed_list(text):
    from .config import SEED
    return int_list(text, "seeds", SEED)


def baseline_list(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in ("full", "head")]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown baseline {bad[0]!r} (valid: full, head)")
    return names


ASK_HELP = ("a chat run only: the file is in this task's own format, its rows are asked of the chat "
            "model and the replies parsed back and scored like that task's models (e.g. sentiment)")


def minutes(text):
    """A positive number of minutes."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of minutes, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of minutes, got {text!r}")
    return value


def add_time_options(p):
    p.add_argument("--max-minutes", type=minutes, help="stop after about M minutes, keeping the rows "
                   "done (said on the screen); a chat model takes seconds a row on a CPU")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser():
    """The parser of every command; the training options come from TrainConfig's fields."""
    from .config import add_options
    parser = OneLineParser(prog="lorakit", description="LoRA fine-tuning for the lorakit course.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    p = sub.add_parser("train", help="fine-tune a model and save the adapter")
    add_options(p)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--overwrite", action="store_true", help="replace a run that lorakit train wrote in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("sweep", help="train one run per rank and seed; write results.csv and a plot")
    add_options(p, sweep=True)
    p.add_argument("--ranks", type=rank_list, default=[1, 2, 4, 8, 16], help="e.g. 1,2,4,8,16")
    p.add_argument("--seeds", type=seed_list, default=[0], help="e.g. 0,1,2")
    p.add_argument("--baselines", type=baseline_list, default=[], help="full, head or full,head")
    from .sweep_axes import add_axis_options
    add_axis_options(p)                     # --lrs, --batch-sizes, --target-sets (lorakit.sweep_axes)
    p.add_argument("--out", required=True, help="folder for results.csv and the plot")
    p.add_argument("--save-runs", action="store_true", help="also save each run under OUT/runs/")
    p.add_argument("--max-minutes", type=minutes, help="the whole sweep within about M minutes: each run "
                   "trains within its share of the time left; runs that no longer fit are skipped")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("predict", help="write predictions for a file")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--task", help=ASK_HELP)
    add_time_options(p)

    p = sub.add_parser("evaluate", help="print metrics of a trained run on a labelled file")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--task", help=ASK_HELP)
    add_time_options(p)
    from .doctor import add_parser as add_doctor_parser
    add_doctor_parser(sub)                  # lorakit doctor RUN_DIR (lorakit.doctor)
    from .production import add_parsers as add_production_parsers
    add_production_parsers(sub)             # lorakit merge / export (lorakit.production)
    for p in sub.choices.values():  # SUPPRESS: `lorakit --debug train` keeps the top-level value
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    return parser


def cmd_train(args):
    from accelerate import PartialState

    from .config import config_from_args
    from .grpo import train_grpo
    from .runs import check_out_dir, expected_size, save_run
    from .train import scalar_metrics, train
    config = config_from_args(args)
    check_out_dir(args.out, args.overwrite, inputs=(args.train_file, args.eval_file),
                  need_bytes=expected_size(config))
    trainer = train_grpo if config.method == "grpo" else train    # grpo: reinforcement learning
    result = trainer(config, progress=not args.quiet)
    if PartialState().is_main_process:  # under torchrun only rank 0 writes
        save_run(result, args.out, overwrite=args.overwrite)
        print(json.dumps(scalar_metrics(result.metrics), indent=2))
        print(f"saved to {args.out}")


def cmd_sweep(args):
    from pathlib import Path

    from .config import config_from_args
    from .sweep import check_sweep_out, run_sweep
    from .sweep_axes import axes_from_args
    from .sweep_plots import plot_sweep
    check_sweep_out(args.out)
    config, axes = config_from_args(args), axes_from_args(args)
    table = run_sweep(args.task, args.ranks, args.seeds, args.baselines, args.out, base_config=config,
                      progress=not args.quiet, save_runs=args.save_runs, max_minutes=args.max_minutes, axes=axes)
    metric = config.make_task().main_metric
    plot = ", ".join(map(str, plot_sweep(table, metric, args.out, args.task, axes.swept())))
    print(f"{len(table)} runs in {Path(args.out) / 'results.csv'}; plots: {plot}")


def load_run_and_data(model_dir, path, asked=None):
    """(model, tokenizer, task, dataset): the run in `model_dir`, its Task (with the run's options and
    labels; with `asked`, that task asked of the run's chat model) and `path` read in that task's
    format, its labels checked against the run's."""
    from .config import TrainConfig
    from .inference import model_task
    from .runs import load_run
    interrupts.reached("model")
    model, tokenizer, info = load_run(model_dir)
    task = model_task(model, info["task"], info["options"])
    if asked and asked != task.name:
        task = task.ask(TrainConfig(task=asked).make_task())
    dataset = task.read(path, require_labels=False)
    names = task.label_names(dataset)
    if names is not None and info["labels"] is not None and list(names) != list(info["labels"]):
        raise DataError(f"{path}: labels {names} do not match the run's labels {info['labels']}")
    return model, tokenizer, task, dataset


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


def predicted_rows(args, model, tokenizer, task, dataset):
    """(the rows done, their predictions) within --max-minutes; says so when rows were left out."""
    from .inference import predict_in_time
    predictions = predict_in_time(model, tokenizer, task, dataset, args.max_minutes, progress=not args.quiet)
    if len(predictions) < len(dataset):
        print(f"--max-minutes {args.max_minutes:g}: stopped after {len(predictions)} of {len(dataset)} rows; "
              f"the results below are for those rows", file=sys.stderr)
    return dataset.select(range(len(predictions))), predictions


def cmd_predict(args):
    check_output_file(args.output, args.input, args.model_dir)
    model, tokenizer, task, dataset = load_run_and_data(args.model_dir, args.input, args.task)
    rows, predictions = predicted_rows(args, model, tokenizer, task, dataset)
    task.write_predictions(rows, predictions, args.output)
    print(f"wrote {len(predictions)} predictions to {args.output}")


def cmd_evaluate(args):
    model, tokenizer, task, dataset = load_run_and_data(args.model_dir, args.data, args.task)
    if task.label_column not in dataset.column_names:
        raise DataError(f"{args.data}: has no gold {task.label_column!r} to evaluate against")
    rows, predictions = predicted_rows(args, model, tokenizer, task, dataset)
    metrics = {**task.metrics(rows, predictions), **task.model_metrics(model, tokenizer),
               "rows": len(rows), "rows_in_file": len(dataset)}
    print(json.dumps(metrics, indent=2))


def cmd_doctor(args):
    from .doctor import cmd_doctor as doctor
    return doctor(args)                     # 1 when it has findings


def cmd_merge(args):
    from .production import cmd_merge as merge
    return merge(args)


def cmd_export(args):
    from .production import cmd_export as export
    return export(args)


COMMANDS = {"train": cmd_train, "predict": cmd_predict, "evaluate": cmd_evaluate, "sweep": cmd_sweep,
            "doctor": cmd_doctor, "merge": cmd_merge, "export": cmd_export}


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
    interrupts.reached("start")
    warnings.showwarning = show_warning
    args = None
    try:
        args = build_parser().parse_args(argv)
        status = COMMANDS[args.command](args)
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
    return status or 0


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

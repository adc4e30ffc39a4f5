"""The `lorakit merge` and `lorakit export` commands (lesson 17); the work is in lorakit.export and
lorakit.combine.

Example:
    lorakit merge --model-dir runs/sentiment --out runs/sentiment-merged
    lorakit merge --model-dir runs/a --model-dir runs/b --combination ties --weights 0.5,0.5 --out runs/ab
    lorakit export --model-dir runs/chat --format gguf --gguf-type q8_0 --out chat.gguf
"""
import argparse

from .combine import COMBINATIONS
from .errors import ConfigError
from .export import GGUF_KINDS


def float_list(text):
    """Comma-separated numbers, e.g. 0.5,0.5."""
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, e.g. 0.5,0.5, got {text!r}") from None


def add_parsers(sub):
    """Register `merge` and `export` on the sub-command parsers `sub`."""
    p = sub.add_parser("merge", help="merge a run into a standalone model, or combine several adapters")
    p.add_argument("--model-dir", action="append", required=True, help="a run; repeat it to combine adapters")
    p.add_argument("--out", required=True, help="a new folder")
    p.add_argument("--combination", choices=COMBINATIONS, help="combine several adapters into one")
    p.add_argument("--weights", type=float_list, help="one per --model-dir (default: equal, summing to 1)")
    p.add_argument("--density", type=float, default=0.5, help="ties/dare: the fraction of entries kept")
    p.add_argument("--seed", type=int, default=0, help="dare: the seed of the dropped entries")
    p = sub.add_parser("export", help="write a run as a merged model folder (hf) or a GGUF file (gguf)")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--format", choices=("hf", "gguf"), required=True)
    p.add_argument("--gguf-type", choices=GGUF_KINDS, default="f16", help="gguf: the weights' type")
    p.add_argument("--out", required=True, help="hf: a new folder; gguf: a file")


def cmd_merge(args):
    from .combine import combine_runs
    from .export import merge_run
    dirs = args.model_dir
    if args.combination is None:
        if len(dirs) > 1:
            raise ConfigError(f"{len(dirs)} --model-dir given: add --combination {'|'.join(COMBINATIONS)} "
                              f"to combine them")
        merge_run(dirs[0], args.out)
        print(f"merged {dirs[0]} into {args.out} (loads with transformers alone)")
        return
    combine_runs(dirs, args.out, args.combination, args.weights, args.density, args.seed)
    print(f"combined {len(dirs)} adapters ({args.combination}) into {args.out}")


def cmd_export(args):
    from .export import export_gguf, merge_run
    if args.format == "hf":
        merge_run(args.model_dir, args.out)
    else:
        export_gguf(args.model_dir, args.out, args.gguf_type)
    print(f"exported {args.model_dir} to {args.out} ({args.format})")

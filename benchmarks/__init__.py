"""The LoRA benchmarks, one concept per module; `python benchmarks/bench.py --quick` runs them.

- bench.py: the command line (argparse and main).
- plan.py: what one run measures (models, batch sizes, repeats).
- contenders.py: the base models, the lorakit / peft / full / frozen-body contenders, AdamW.
- suite.py: the three benchmarks (training step, inference, one layer) and the run gathering them.
- timing.py: synchronised, interleaved timing and paired ratios.
- memory.py: counted bytes and the measured peak of a step (the only use of private torch API).
- report.py: targets, Markdown tables and the JSON file.
"""

"""The one fast-mode switch of the course.

`LORAKIT_FAST=1` shrinks data and steps so that every notebook runs top to bottom in CI in
seconds; it never changes which code runs. This is the only place that reads the variable.

Example:
    >>> import os
    >>> os.environ["LORAKIT_FAST"] = "1"; fast_mode()
    True
    >>> pick(full=2000, fast=64)
    64
    >>> del os.environ["LORAKIT_FAST"]
"""
import os


def fast_mode() -> bool:
    """True when the environment variable LORAKIT_FAST is set to 1, true or yes."""
    return os.environ.get("LORAKIT_FAST", "").strip().lower() in {"1", "true", "yes"}


def pick(full, fast):
    """Return `fast` in fast mode and `full` otherwise (sizes, step counts, epochs)."""
    return fast if fast_mode() else full

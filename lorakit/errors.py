"""Errors that lorakit raises on purpose.

Every error a user can cause (a bad file, a bad option, an adapter that does not fit) is a
`LorakitError` with a one-line message that names the file, line, question id or option at fault
and says what would be valid. The command line prints that line and exits non-zero; the Python API
lets it propagate, so notebooks show the same message.

Example:
    >>> try:
    ...     raise ConfigError("--rank must be a positive integer, got 0")
    ... except LorakitError as e:
    ...     print(e)
    --rank must be a positive integer, got 0
"""


class LorakitError(Exception):
    """Base class of every error lorakit raises for bad input."""


class ConfigError(LorakitError, ValueError):
    """A bad option or configuration value (rank, alpha, dropout, target modules, task)."""


class DataError(LorakitError, ValueError):
    """A data file that cannot be read or does not follow its task's format."""


class AdapterError(LorakitError):
    """An adapter directory that is missing, damaged or made for another model or task."""


class TrainingError(LorakitError, RuntimeError):
    """Training that cannot go on (for example a loss that is not finite)."""


class MergeError(LorakitError, RuntimeError):
    """A merge or unmerge that would apply the LoRA update twice, or remove one that is not there."""


class WriteError(LorakitError, OSError):
    """A file or folder that cannot be written: no permission, no room, a file in the way, or a folder
    that `--overwrite` must not replace."""


class LorakitWarning(UserWarning):
    """Something that works but is probably not what was meant (the command line prints one line)."""


class UnknownChoiceError(DataError, ConfigError):
    """An unknown task, split or source name: a data error and an option error at once, so that
    both `except DataError` and `except ConfigError` catch it."""

"""Stopping on Ctrl-C (SIGINT) and SIGTERM at any moment, even where a library swallows the interrupt.

Python turns SIGINT into a KeyboardInterrupt wherever the program happens to be. Some libraries
catch it by accident: `datasets` hashes a `map` function inside a bare `except:`, so a Ctrl-C that
lands there vanishes and the run goes on. So the command line installs `on_signal` for SIGINT and
SIGTERM: it raises KeyboardInterrupt *and* remembers the signal, and `check()`, called at every step
of training, tokenisation, prediction and sweeps, raises again if an interrupt was swallowed.

A KeyboardInterrupt raised inside a `__del__` method is printed and dropped by Python itself;
`quiet_unraisable` keeps that traceback off the screen, and `check()` raises the interrupt again.

`deferred()` holds an interrupt back for a few lines that must not be cut in half (replacing an old
run by a new one): the signal is remembered and raised when the block ends.

Without `install()` (in a notebook, say) `check()` never raises: Jupyter's own interrupt applies.

`reached(stage)` says where a run is ("start", "data", "tokenize", "model", "train", "predict"): with
$LORAKIT_STAGE_FILE set, each stage's name is appended to that file once, as the run first enters it,
so a test can send its signal at a chosen moment of a real run without guessing it by a sleep.

Example:
    >>> import os, signal
    >>> install()
    >>> try:
    ...     os.kill(os.getpid(), signal.SIGTERM)
    ... except KeyboardInterrupt:
    ...     print("stopped by", signal.Signals(pending()).name)
    stopped by SIGTERM
    >>> reset()
"""
import contextlib
import os
import signal
import sys

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _State:
    pending = None       # the signal that asked us to stop, or None
    deferring = 0        # > 0 while inside `deferred()`
    unraisablehook = sys.unraisablehook
    stages = set()       # the stages `reached` has written


def install():
    """Handle SIGINT and SIGTERM with `on_signal` (even if a parent shell set them to be ignored)."""
    reset()
    for sig in SIGNALS:
        signal.signal(sig, on_signal)
    if sys.unraisablehook is not quiet_unraisable:
        _State.unraisablehook, sys.unraisablehook = sys.unraisablehook, quiet_unraisable


def quiet_unraisable(unraisable):
    """Python prints, then drops, an exception raised inside `__del__` or a weakref callback. Ours
    can land there; it is not lost (`check()` raises it again), so it is not printed either."""
    if not (isinstance(unraisable.exc_value, KeyboardInterrupt) and _State.pending is not None):
        _State.unraisablehook(unraisable)


def ignore():
    """Ignore SIGINT and SIGTERM from now on (the program has stopped and is only exiting)."""
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def reset():
    """Forget a remembered interrupt (tests run the command line several times in one process)."""
    _State.pending, _State.deferring = None, 0


def on_signal(signum, frame):
    _State.pending = signum
    if not _State.deferring:
        raise KeyboardInterrupt


def pending():
    """The signal number that asked lorakit to stop, or None."""
    return _State.pending


def check():
    """Raise KeyboardInterrupt if a stop was asked for, also one that a library swallowed."""
    if _State.pending is not None and not _State.deferring:
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred():
    """Run the block to its end; an interrupt that arrives meanwhile is raised afterwards."""
    _State.deferring += 1
    try:
        yield
    finally:
        _State.deferring -= 1
    check()


def reached(stage):
    """Append `stage` to $LORAKIT_STAGE_FILE (when it is set) the first time the run reaches it."""
    path = os.environ.get("LORAKIT_STAGE_FILE")
    if path and stage not in _State.stages:
        _State.stages.add(stage)
        with open(path, "a") as f:
            f.write(stage + "\n")

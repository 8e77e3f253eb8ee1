"""The kinds of failure the tool reports: a user's bad input, a user's code that stopped the
run, and our own bug."""

from __future__ import annotations


class SpecError(ValueError):
    """Bad input from the user. The message is one line naming the option, the value
    and what is allowed; the CLI prints it and exits 2."""


class InconsistencyError(RuntimeError):
    """Theory and torch disagree, or the tool contradicts itself: a bug in lstm-shapes.
    The CLI prints it and exits 3."""

    def __init__(self, message: str) -> None:
        super().__init__(
            f"{message}\nThis is a bug in lstm-shapes, not in your input: please report it."
        )


class ModelStopped(Exception):
    """The user's own code (importing it, or building the model) ended the run with
    ``sys.exit`` or ``os._exit``. The CLI prints the message and exits 1, as when the model
    raises."""

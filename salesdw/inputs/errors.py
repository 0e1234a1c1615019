"""The error every input check raises: one line naming the file (or the spec key) and the problem."""

from __future__ import annotations


class InputError(Exception):
    """A raw input that cannot be built; the message is one line naming the file and the problem. `hint`, when
    given, is a second line saying what to do about it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

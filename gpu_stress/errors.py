"""The one base of every error that is the user's to fix: bad input, damaged results, a busy directory.

Each such error's ``str()`` is one line naming the field, option or file. The
command line prints that line and exits with code 2; anything else is a bug,
shown as one line too, with the traceback behind ``--debug``.
"""

MAX_LINE = 2000  # characters of an error line: a long input is never echoed whole (a list of choices fits)


class UserError(Exception):
    """An error whose one-line message tells the user what to fix.

    ``str()`` is always one line of at most :data:`MAX_LINE` characters, whatever text (a key with a newline
    in it, a long value) went into the message.
    """

    def __str__(self):
        return _fitted(" ".join(super().__str__().split()) or type(self).__name__)


def one_line(error):
    """The message of an error as one line; an OSError names its file."""
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error}"
    return _fitted(" ".join(str(error).split()) or type(error).__name__)


def _fitted(text):
    return text if len(text) <= MAX_LINE else f"{text[: MAX_LINE - 20]} ... {text[-15:]}"


class ArgumentError(UserError, TypeError, ValueError):
    """An argument of a public function of the wrong type or out of its range; ``str()`` names it first."""


def excerpt(value, limit=40):
    """``repr(value)``, cut to about ``limit`` characters: an error line never echoes a long input whole."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"

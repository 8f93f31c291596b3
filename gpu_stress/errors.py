"""The one base of every error that is the user's to fix: bad input, damaged results, a busy directory.

Each such error's ``str()`` is one line naming the field, option or file. The
command line prints that line and exits with code 2; anything else is a bug,
shown as one line too, with the traceback behind ``--debug``.
"""


class UserError(Exception):
    """An error whose one-line message tells the user what to fix."""


def one_line(error):
    """The message of an error as one line; an OSError names its file."""
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error}"
    text = " ".join(str(error).split())
    return text or type(error).__name__

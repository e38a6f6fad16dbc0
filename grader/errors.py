"""The one error a user can fix: the CLI shows it with the command's usage and exits with 2."""


class UsageError(Exception):
    """The user asked for something the grader cannot do (exit status 2)."""

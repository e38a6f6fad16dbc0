"""An automated grader for PyTorch model-building exercises.

Student code runs only in sandboxed children (``grader.sandbox.child``); the judge
(``grader.judge``) decides the score from data those children send back.
"""

import warnings

__version__ = "0.1.0"


def silence_missing_numpy() -> None:
    """torch warns once, on importing some of its modules, when numpy is absent; the grader
    does not use numpy, and the warning would only confuse a student."""
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

"""An automated grader for PyTorch model-building exercises.

Student code runs only in sandboxed children (``grader.sandbox.child``); the judge
(``grader.judge``) decides the score from data those children send back.
"""

__version__ = "0.1.0"

"""Every default of the grader, in one place.

The CLI, the judge plugin and the sandbox read their defaults from here, so a
value changed here changes everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Seconds one request to a child may take (import, build, forward) before the
#: child is killed and the check fails.
REQUEST_TIMEOUT_S = 10.0
#: Seconds a warm parent waits for a private zygote to end what its last judge started
#: before it closes that zygote instead of lending it to the next judge.
ZYGOTE_RESET_S = 0.5
#: Judges a batch runs side by side: one per core.
BATCH_JOBS = os.cpu_count() or 1

#: Address space a child may add on top of what the warm parent already maps.
CHILD_MEMORY_BYTES = 3 * 1024**3

#: The unprivileged user and group a child runs as when the grader runs as root.
SANDBOX_UID = 65534
SANDBOX_GID = 65534

#: Resource limits of a child (see grader/sandbox/isolation.py). The CPU limit backs up
#: the per-request timeout. Processes: exactly this many with a uid of its own (as root);
#: otherwise this many more than the user already runs.
CHILD_LIMITS = {
    "cpu_s": 120,
    "file_bytes": 16 * 1024**2,
    "open_files": 256,
    "processes": 64,
}

#: Exit status of a child whose sandbox could not be set up (before any student code ran),
#: and of a zygote that failed.
SANDBOX_FAILED_EXIT = 70
#: Exit status of a child whose own code failed after student code ran (student code can
#: break Python or torch for it).
CHILD_CRASHED_EXIT = 71

#: Caps on what a child may send back: one JSON header, and the tensor blobs.
MAX_HEADER_BYTES = 1 * 1024**2
MAX_BLOB_BYTES = 64 * 1024**2
MAX_BLOBS = 256
#: Tensors of any size cross in frames of at most this many bytes (grader/sandbox/tensors.py),
#: at most this many tensors in one message; the tensors a child may send back in one reply,
#: and those it accepts in one request (a VGG16's weights are 553 MB), in bytes.
TENSOR_FRAME_BYTES = 8 * 1024**2
MAX_STREAM_TENSORS = 4096
MAX_REPLY_TENSOR_BYTES = 256 * 1024**2
MAX_REQUEST_TENSOR_BYTES = 2 * 1024**3
#: Caps on a structure a child describes: layers, and the torch calls it records for hints.
MAX_LAYERS = 2000
MAX_OPS = 5000
MAX_RECORDED_OPS = 2000
#: Layer calls a structure records in order (a ResNet-50's forward makes about 230).
MAX_CALLS = 5000
#: Caps on the text of a child's error: its message and the student's traceback.
MAX_ERROR_MESSAGE_CHARS = 2000
MAX_TRACEBACK_CHARS = 4000
#: Largest control message between the judge and the zygote (JSON).
MAX_CONTROL_MESSAGE_BYTES = 64 * 1024
#: Largest request from a warm parent to its judge server (JSON, the judge's environment in it).
MAX_JUDGE_REQUEST_BYTES = 192 * 1024

#: What a child prints is kept as its first and last bytes (the count of those dropped in
#: between is reported); printing more costs nothing but the truncation.
OUTPUT_HEAD_BYTES = 64 * 1024
OUTPUT_TAIL_BYTES = 64 * 1024

#: Largest submission folder the grader copies (bytes, files).
MAX_SUBMISSION_BYTES = 20 * 1024**2
MAX_SUBMISSION_FILES = 500
#: Largest notebook (or single .py file) accepted: megabytes of plots are fine, a notebook
#: of embedded data is not.
MAX_NOTEBOOK_BYTES = 16 * 1024**2

#: Tolerances for comparing a student's output with the reference's (float32).
RTOL = 1e-4
ATOL = 1e-5

#: Most weight assignments tried when layers of one shape are interchangeable, and the bytes
#: of weights the behaviour check may send to try them (at least one is always tried).
MAX_ASSIGNMENTS = 24
MAX_BEHAVIOUR_WEIGHT_BYTES = 2 * 1024**3

#: The shape check confirms a shape on a real input with the behaviour check's first weight
#: set, and that run serves both, where those weights are at most this size; above it (a
#: VGG16's 553 MB), with the parameters zeroed and no weights sent.
MAX_SHARED_RUN_WEIGHT_BYTES = 64 * 1024**2

#: Mixed into the seeds of the reference facts (inputs, weights, probe sizes). This public
#: default is used unless GRADER_FACTS_SEED is set: instructors set a secret there, so that
#: no submission can recognise or precompute the probes. It travels in the environment,
#: never on a command line (world-readable in /proc), and children never see it.
FACTS_SEED = "grader-facts-1"


def facts_seed() -> str:
    return os.environ.get("GRADER_FACTS_SEED") or FACTS_SEED


def default_facts_cache() -> Path:
    """Where computed reference facts are kept between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "grader" / "facts"


#: Why a hidden check did not run: it needs the reference at grading time, so it runs only in
#: instructor grading (grade batch, Gradescope, grade submit --hidden in the course repository).
HIDDEN_CHECK_SKIPPED = (
    "Hidden check ({:g} points): it needs the reference solution, which is not shipped to "
    "students, so it runs only when your instructor grades (batch grading or Gradescope)."
)

#: Version of the JSON score report; bump on any incompatible change.
REPORT_SCHEMA_VERSION = "1.4"  # 1.2: the top-level fingerprint; 1.3: the homework; 1.4: the language

#: Exit statuses of ``grade``.
EXIT_OK = 0
EXIT_BELOW_THRESHOLD = 1
EXIT_USAGE = 2
EXIT_GRADER_FAILED = 3

#: pytest's exit statuses that mean the judge ran every check (some may have failed).
JUDGE_GRADED_EXITS = (0, 1)

#: What a shipped starter or autograder installs: the torch the frozen facts were computed
#: with (its CPU build), on the Python the grader is tested with.
TORCH_REQUIREMENT = "torch==2.13.0"
TORCH_CPU_INDEX_URL = "https://download.pytorch.org/whl/cpu"
SHIPPED_PYTHON = "3.11"

#: The step id of the grader in the Classroom workflow (its outputs feed the reporter's runners).
CLASSROOM_STEP = "grader"

PACKAGE_DIR = Path(__file__).resolve().parent
#: The course (assignments/, reference/, student_template/) shipped beside the package.
DEFAULT_COURSE_DIR = PACKAGE_DIR.parent
REPORT_SCHEMA_PATH = PACKAGE_DIR / "report" / "schema.json"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
JUDGE_INI_PATH = PACKAGE_DIR / "judge" / "pytest.ini"

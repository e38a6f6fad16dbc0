"""Each student's feedback as files an instructor attaches in the LMS: ``feedback/<id>.md`` and
``feedback/<id>.html``, in the course's language.

The Markdown is the summary a student sees in GitHub Classroom (``markdown_summary``: the
score table, then each failed check's message and hints); the HTML is that same Markdown
rendered, so the two never say different things. Rendering is markdown-it-py's (rich, a
dependency, requires it) with raw HTML off: a student's text inside a message is escaped.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from grader import i18n
from grader.course import Homework
from grader.i18n import _
from grader.report.classroom import markdown_summary
from grader.report.gradebook import INVALID, StudentResult
from grader.report.json_report import write_text

FOLDER = "feedback"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 56rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
code { background: #f4f4f4; padding: 0 0.2rem; }
"""


def write_feedback_files(students: Sequence[StudentResult], homework: Homework, out: Path) -> dict[str, str]:
    """Write the files of every student with something to say; id → the HTML file, relative to ``out``.

    A student whose submission could not be graded (a broken zip or notebook) gets the reason,
    which is what they need to fix; a student with no submission gets nothing.
    """
    written = {}
    for student in students:
        page = write_student_feedback(student, homework, out)
        if page is not None:
            written[student.id] = page
    return written


def write_student_feedback(student: StudentResult, homework: Homework, out: Path) -> str | None:
    """Write one student's files (``grade batch`` writes each as the result comes in); the
    HTML file relative to ``out``, or None where there is nothing to say."""
    text = feedback_markdown(student, homework)
    if text is None:
        return None
    folder = out / FOLDER
    write_text(text, folder / f"{student.id}.md")
    write_text(feedback_html(text, title=_heading(homework)), folder / f"{student.id}.html")
    return f"{FOLDER}/{student.id}.html"


def feedback_markdown(student: StudentResult, homework: Homework) -> str | None:
    """The student's feedback as Markdown, or None where there is nothing to say."""
    if student.report is not None:
        date = student.report.created[:10]
        body = markdown_summary(student.report)
    elif student.status == INVALID:
        date = dt.datetime.now(dt.UTC).date().isoformat()
        body = _("Your submission could not be graded: {reason}").format(reason=student.reason) + "\n"
    else:
        return None
    who = f"{student.name} ({student.id})" if student.name else student.id
    byline = _("Student: {student} · graded on {date}").format(student=who, date=date)
    return f"# {_heading(homework)}\n\n{byline}\n\n{body}"


def feedback_html(markdown: str, *, title: str) -> str:
    """The Markdown as a page of its own: no scripts, no network, the student's text escaped."""
    body = _renderer().render(markdown)
    return (
        f"<!doctype html><html lang='{i18n.language()}'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>\n{body}</body></html>\n"
    )


@functools.cache
def _renderer() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _heading(homework: Homework) -> str:
    return _("Feedback on {homework}").format(homework=_(homework.title))

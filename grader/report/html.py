"""The gradebook as a page an instructor opens offline: charts (pygal, inline SVG) and tables.

No scripts and no network: everything is in the one file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from html import escape
from typing import Any

from grader.course import Exercise
from grader.report.gradebook import GRADED, StudentResult
from grader.similarity import PAIRS_SHOWN, Similarity, SimilarPair, Source, Span

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 1rem 0 2rem; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.incomplete td { background: #fff4e0; } .charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.charts figure { margin: 0; flex: 1 1 30rem; } figcaption { color: #666; }
ul.causes { margin: 0; padding-left: 1.1rem; } ul.causes ul { color: #555; font-size: 0.9em; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0.5rem; }
.pair { margin-bottom: 1.5rem; }
.pair pre { margin: 0; padding: 0.5rem; background: #f7f7f7; overflow-x: auto; font-size: 0.8em; }
.pair mark { background: #ffe08a; } .pair h4 { margin: 0 0 0.3rem; font-weight: normal; }
"""


def render_html(
    students: list[StudentResult],
    exercises: tuple[Exercise, ...],
    overview: dict[str, Any],
    *,
    feedback: Mapping[str, str] | None = None,
    similarity: Similarity | None = None,
) -> str:
    """The page; ``feedback`` links each student's row to their feedback file (id → relative
    path), ``similarity`` adds the most similar pairs of each exercise."""
    graded = [s for s in students if s.status == GRADED and s.report]
    score = overview["score"]
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Gradebook</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Gradebook</h1>",
        f"<p class='meta'>{len(students)} students, {len(graded)} graded · mean "
        f"{_mean(score['mean'])} / {_number(score['max_score'])}, median {_number(score['median'])} · "
        f"{escape(created)}</p>",
        _charts(graded, exercises, overview),
        "<h2>Where students fail most</h2>",
        _exercise_table(exercises, overview),
        "<h2>Grading did not complete</h2>",
        _incomplete_table(students),
        "<h2>Every student</h2>",
        _student_table(students, exercises, feedback or {}),
        _similarity_section(similarity) if similarity is not None else "",
        "</body></html>",
    ]
    return "\n".join(parts)


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _mean(value: float | None) -> str:
    """A mean as people read one: one decimal (summary.json keeps three)."""
    return "–" if value is None else f"{value:.1f}"


def _charts(graded: list[StudentResult], exercises: tuple[Exercise, ...], overview: dict[str, Any]) -> str:
    try:
        import pygal
    except ImportError:
        return "<p>Install the <code>instructor</code> extra (pygal) for charts.</p>"
    # No scripts: the page opens offline (pygal's default tooltips load from the web).
    config = {"js": [], "disable_xml_declaration": True, "show_legend": False, "width": 640}
    totals = [s.report.score for s in graded if s.report]
    maximum = overview["score"]["max_score"] or 1
    bins = 10
    counts = [0] * bins
    for total in totals:
        counts[min(bins - 1, int(total / maximum * bins))] += 1
    histogram = pygal.Bar(**config, height=320, x_title="total score", y_title="students")
    histogram.x_labels = [f"{maximum * b / bins:g}–{maximum * (b + 1) / bins:g}" for b in range(bins)]
    histogram.add("students", counts)
    rates = [
        (f"{exercise.id}: {check}", rate)
        for exercise in exercises
        for check, rate in overview["exercises"][exercise.id]["pass_rate"].items()
    ]
    passing = pygal.HorizontalBar(**config, height=24 * len(rates) + 120, range=(0, 100))
    rates.reverse()  # pygal draws the first bar at the bottom
    passing.x_labels = [name for name, _ in rates]
    passing.add("students passing (%)", [round(rate * 100, 1) for _, rate in rates])
    figures = [("Score distribution", histogram), ("Students passing each check (%)", passing)]
    html = ["<div class='charts'>"]
    for caption, chart in figures:
        svg = chart.render(is_unicode=True)
        html.append(f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>")
    html.append("</div>")
    return "\n".join(html)


def _exercise_table(exercises: tuple[Exercise, ...], overview: dict[str, Any]) -> str:
    """Each exercise, lowest mean first, with its causes: the first check each student failed
    (later failures are often its consequences), each student counted once."""
    rows = ["<table><tr><th>exercise</th><th class='n'>mean</th><th class='n'>full marks</th>"]
    rows.append("<th>first failed check: students (their most common messages)</th></tr>")
    ranked = sorted(exercises, key=lambda e: overview["exercises"][e.id]["mean"] or 0)
    for exercise in ranked:
        facts = overview["exercises"][exercise.id]
        causes = "".join(_cause(cause) for cause in facts["causes"][:CAUSES_SHOWN])
        rows.append(
            f"<tr><td>{escape(exercise.id)}</td><td class='n'>{_mean(facts['mean'])} / "
            f"{_number(facts['max_score'])}</td><td class='n'>{facts['full_marks']}</td>"
            f"<td><ul class='causes'>{causes}</ul></td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


#: Causes listed for each exercise on the page (summary.json has them all).
CAUSES_SHOWN = 5


def _cause(cause: dict[str, Any]) -> str:
    kind = cause["failure"].replace("_", " ")
    students = f"{cause['students']} student{'s' if cause['students'] != 1 else ''}"
    messages = "".join(f"<li>{escape(m)} ({count})</li>" for m, count in cause["messages"])
    return f"<li><b>{escape(cause['name'])}</b> ({escape(kind)}): {students}<ul>{messages}</ul></li>"


def _incomplete_table(students: list[StudentResult]) -> str:
    incomplete = [s for s in students if s.status != GRADED]
    if not incomplete:
        return "<p>Every submission was graded.</p>"
    rows = ["<table><tr><th>student</th><th>name</th><th>status</th><th>why</th></tr>"]
    rows += [
        f"<tr class='incomplete'><td>{escape(s.id)}</td><td>{escape(s.name)}</td>"
        f"<td>{escape(s.status)}</td><td>{escape(s.reason)}</td></tr>"
        for s in incomplete
    ]
    rows.append("</table>")
    return "\n".join(rows)


def _student_table(
    students: list[StudentResult], exercises: tuple[Exercise, ...], feedback: Mapping[str, str]
) -> str:
    header = "".join(f"<th class='n'>{escape(e.id)}</th>" for e in exercises)
    rows = [f"<table><tr><th>student</th><th>name</th>{header}<th class='n'>total</th><th>status</th></tr>"]
    for student in students:
        report = student.report
        scores = {a.id: a.score for a in report.assignments} if report else {}
        cells = "".join(f"<td class='n'>{_number(scores.get(e.id))}</td>" for e in exercises)
        total = f"{report.score:g} / {report.max_score:g}" if report else "–"
        css = "" if student.status == GRADED else " class='incomplete'"
        link = feedback.get(student.id)
        who = escape(student.id) if link is None else f"<a href='{escape(link)}'>{escape(student.id)}</a>"
        rows.append(
            f"<tr{css}><td>{who}</td><td>{escape(student.name)}</td>{cells}"
            f"<td class='n'>{total}</td><td>{escape(student.status)}</td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


def _similarity_section(similarity: Similarity) -> str:
    parts = [
        "<h2>Similar code</h2>",
        "<p>Pairs of submissions ranked by the share of their code found in each other, exercise by "
        "exercise (copydetect: names, layout and comments ignored; the template's code excluded). "
        "Evidence to read, not a verdict: a small exercise can be written in only a few ways.</p>",
    ]
    for exercise in similarity.exercises:
        compared = f"{exercise.compared} submission{'s' if exercise.compared != 1 else ''} compared"
        parts.append(f"<h3>{escape(exercise.exercise)} ({compared})</h3>")
        if not exercise.pairs:
            parts.append("<p>No two submissions share code beyond the template.</p>")
        parts += [_pair(pair) for pair in exercise.pairs[:PAIRS_SHOWN]]
    return "\n".join(parts)


def _pair(pair: SimilarPair) -> str:
    def side(source: Source, passages: tuple[Span, ...], share: float) -> str:
        return (
            f"<div><h4><b>{escape(source.student)}</b> · {escape(source.origin)} · {share:.0%} shared</h4>"
            f"<pre>{_highlighted(source.text, passages)}</pre></div>"
        )

    return (
        f"<div class='pair'>{side(pair.first, pair.first_passages, pair.shared[0])}"
        f"{side(pair.second, pair.second_passages, pair.shared[1])}</div>"
    )


def _highlighted(text: str, passages: tuple[Span, ...]) -> str:
    """``text``, escaped, with each shared passage in ``<mark>``."""
    html, done = [], 0
    for first, end in sorted(passages):
        start = max(first, done)  # passages may overlap: mark each character once
        if end <= start:
            continue
        html += [escape(text[done:start]), f"<mark>{escape(text[start:end])}</mark>"]
        done = end
    html.append(escape(text[done:]))
    return "".join(html)

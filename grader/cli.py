"""``grade``: a thin click layer over ``grader.grade``.

Exit statuses: 0 grading ran (whatever the score); 1 the score is below
``--fail-under``; 2 a usage error (no such folder, unknown exercise);
3 the grader itself failed (the report is still written, marked with the error).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from grader import __version__, i18n, settings, silence_missing_numpy
from grader.course import Course
from grader.grade import list_homeworks, submit
from grader.i18n import _
from grader.lms import DEFAULT_MATCH, FILE_NAMES, FORMATS, LmsOptions
from grader.report.classroom import github_output_lines, markdown_summary
from grader.report.gradescope import gradescope_results, gradescope_unstarted
from grader.report.json_report import write_text
from grader.report.model import Report
from grader.report.terminal import render, render_batch
from grader.submission import UsageError

_SUBMIT_DEFAULTS = submit.__kwdefaults__

if TYPE_CHECKING:
    from grader.batch import BatchResult
    from grader.judge.launch import WarmParent
    from grader.report.gradebook import StudentResult
    from grader.scaffold import ScaffoldedExercise
    from grader.watch import Regrade

# Only what `grade submit` needs is imported here: a student's grade starts its zygote and
# judge sooner. Each other command imports what it uses.


course_option = click.option(
    "--course",
    "course_dir",
    # Resolved: the judge runs in a folder of its own, where a relative path means another place.
    type=click.Path(path_type=Path, file_okay=False, resolve_path=True),
    default=settings.DEFAULT_COURSE_DIR,
    help="The course folder holding assignments/ (and reference/, for instructors).",
)


lang_option = click.option(
    "--lang",
    "language",
    type=click.Choice(i18n.LANGUAGES),
    default=None,
    help="The language of what students read. Default: your locale's (LC_ALL, LANG) if the grader "
    "speaks it, else the course's (course.toml), else English.",
)


def homework_option(
    help: str, *, required: bool = False
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option("--homework", "-H", "homework", metavar="NAME", required=required, help=help)


@contextlib.contextmanager
def usage_errors() -> Iterator[None]:
    """The grader's usage errors as click's (exit status 2, with the command's usage)."""
    try:
        yield
    except UsageError as error:
        raise click.UsageError(str(error)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grade")
def main() -> None:
    """Grade PyTorch model-building exercises; the score is decided outside student code."""
    silence_missing_numpy()  # freeze and the builders read facts with torch here


@main.command("submit")
@click.argument("path", type=click.Path(path_type=Path))
@lang_option
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the JSON report here.")
@homework_option(
    "The homework PATH holds. Default: the course's only one, else the one whose modules PATH holds."
)
@click.option(
    "--assignment",
    "-a",
    "assignments",
    multiple=True,
    metavar="ID",
    help="Grade only this exercise of the homework (repeatable). See `grade list`.",
)
@click.option("--fail-under", type=float, help="Exit with status 1 when the total score is below this.")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.1),
    default=_SUBMIT_DEFAULTS["timeout_s"],
    show_default=True,
    help="Seconds each request to your code may take.",
)
@course_option
@click.option("--quiet", "-q", is_flag=True, help="Print only the total.")
@click.option(
    "--classroom",
    is_flag=True,
    help="Also write GitHub Classroom's result to $GITHUB_OUTPUT and a summary to $GITHUB_STEP_SUMMARY.",
)
@click.option(
    "--hidden",
    is_flag=True,
    help="Also run the hidden checks, as instructor grading does (needs reference/).",
)
@click.option(
    "--gradescope",
    "gradescope_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write Gradescope's results.json here (written even when grading cannot start).",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Stay running and grade again each time you save a file under PATH (Ctrl-C to stop).",
)
def submit_command(
    path: Path,
    language: str | None,
    json_path: Path | None,
    homework: str | None,
    assignments: tuple[str, ...],
    fail_under: float | None,
    timeout_s: float,
    course_dir: Path,
    quiet: bool,
    classroom: bool,
    hidden: bool,
    gradescope_path: Path | None,
    watch: bool,
) -> None:
    """Grade PATH (your notebook, your .py file, or the folder of your .py files) and print the
    score with feedback."""
    console = Console()
    if classroom and not os.environ.get("GITHUB_OUTPUT"):
        raise click.UsageError(
            "--classroom writes to $GITHUB_OUTPUT, which is not set (run it in a workflow)"
        )
    if watch:
        if classroom or gradescope_path is not None:
            raise click.UsageError("--watch is for grading yourself: not with --classroom or --gradescope")
        with usage_errors():
            watch_submission(
                path=path,
                console=console,
                quiet=quiet,
                grade=lambda warm: submit(
                    path=path,
                    json_path=json_path,
                    homework=homework,
                    assignments=assignments,
                    timeout_s=timeout_s,
                    course_dir=course_dir,
                    hidden=hidden,
                    language=language,
                    warm=warm,
                ),
                course_dir=course_dir,
                homework=homework,
            )
        return
    try:
        report = submit(
            path=path,
            json_path=json_path,
            homework=homework,
            assignments=assignments,
            timeout_s=timeout_s,
            course_dir=course_dir,
            hidden=hidden,
            language=language,
        )
    except UsageError as error:
        if gradescope_path is not None:
            write_text(json.dumps(gradescope_unstarted(str(error)), indent=2) + "\n", gradescope_path)
        raise click.UsageError(str(error)) from None
    if gradescope_path is not None:
        results = gradescope_results(report, output=markdown_summary(report))
        write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", gradescope_path)
    if quiet:
        console.print(f"{report.score:g}/{report.max_score:g}")
    else:
        render(report, console)
    if json_path is not None and not quiet:
        console.print(f"[dim]report written to {json_path}[/]")
    if classroom:
        write_classroom(report)
    if report.error:
        sys.exit(settings.EXIT_GRADER_FAILED)
    if fail_under is not None and report.score < fail_under:
        sys.exit(settings.EXIT_BELOW_THRESHOLD)


def watch_submission(
    *,
    path: Path,
    console: Console,
    quiet: bool,
    grade: Callable[[WarmParent], Report],
    course_dir: Path,
    homework: str | None,
) -> None:
    """Grade now and on every save; Ctrl-C ends it (and every process it started)."""

    def show(regrade: Regrade) -> None:
        if regrade.changed:
            console.rule(
                escape(
                    _("{files} saved: graded in {seconds:.2f} s").format(
                        files=", ".join(Path(name).name for name in regrade.changed),
                        seconds=regrade.graded_at - regrade.saved_at,
                    )
                )
            )
        report = regrade.report
        if quiet:
            console.print(f"{report.score:g}/{report.max_score:g}")
        else:
            render(report, console)
        watching = _("Watching {path}: save a file to grade again, Ctrl-C to stop.").format(path=path)
        console.print(f"[dim]{escape(watching)}[/]")

    from grader.watch import watch

    with contextlib.suppress(KeyboardInterrupt):
        watch(path=path, grade=grade, on_grade=show, course_dir=course_dir, homework=homework)


def write_classroom(report: Report) -> None:
    """Append the Classroom result and the Markdown summary where the workflow reads them."""
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
        output.write(github_output_lines(report))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as file:
            file.write(markdown_summary(report))


@main.command("batch")
@click.argument("submissions", type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=settings.BATCH_JOBS, show_default=True)
@click.option(
    "--roster", type=click.Path(path_type=Path, dir_okay=False), help="GitHub Classroom roster CSV."
)
@click.option("--force", is_flag=True, help="Re-grade every submission, not only changed ones.")
@homework_option("The homework the submissions are. Default: the course's only one.")
@click.option("--assignment", "-a", "assignments", multiple=True, metavar="ID")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.1),
    default=settings.REQUEST_TIMEOUT_S,
    show_default=True,
)
@course_option
@click.option("--scheduler", metavar="tcp://HOST:8786", help="Grade on this Dask cluster (grader[dask]).")
@lang_option
@click.option(
    "--export",
    "lms_format",
    type=click.Choice(FORMATS),
    help="Also write the grades as this LMS imports them ("
    + ", ".join(f"{name} for {lms}" for lms, name in FILE_NAMES.items())
    + ").",
)
@click.option(
    "--lms-roster",
    "lms_export",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="EXPORT.csv",
    help="The LMS's own gradebook export (needed for Canvas): its identity columns and the homework's "
    "column are what the import file keeps.",
)
@click.option(
    "--lms-match",
    metavar="COLUMN",
    help="The LMS column holding each submission's id, or what --lms-map maps it to. Default: "
    + ", ".join(f"{column!r} ({lms})" for lms, column in DEFAULT_MATCH.items())
    + ".",
)
@click.option(
    "--lms-column",
    metavar="NAME",
    help="The homework's column in the LMS export. Default: the one named for the homework's title or id.",
)
@click.option(
    "--lms-map",
    "lms_mapping",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="MAPPING.csv",
    help="Submission id (GitHub username) to LMS identity (the --lms-match column's value), as two "
    "columns; GitHub Classroom's roster (github_username → identifier) works as is.",
)
@click.option(
    "--similarity",
    is_flag=True,
    help="Also rank pairs of submissions by shared code, per exercise, template excluded "
    "(pip install 'grader[similarity]').",
)
def batch_command(
    submissions: Path,
    out: Path,
    jobs: int,
    roster: Path | None,
    force: bool,
    homework: str | None,
    assignments: tuple[str, ...],
    timeout_s: float,
    course_dir: Path,
    scheduler: str | None,
    language: str | None,
    lms_format: str | None,
    lms_export: Path | None,
    lms_match: str | None,
    lms_column: str | None,
    lms_mapping: Path | None,
    similarity: bool,
) -> None:
    """Grade every submission in SUBMISSIONS (folders, zips or notebooks) into a gradebook in --out,
    with each student's feedback in --out/feedback/."""
    console = Console()
    lms = None
    if lms_format is None and any((lms_export, lms_match, lms_column, lms_mapping)):
        raise click.UsageError("--lms-roster, --lms-match, --lms-column and --lms-map need --export")
    if lms_format is not None:
        with usage_errors():
            lms = LmsOptions(
                format=lms_format, export=lms_export, match=lms_match, column=lms_column, mapping=lms_mapping
            )
    from rich.progress import MofNCompleteColumn, Progress

    from grader.batch import grade_batch

    # Refreshed by hand: a refresh thread would be in every judge this process forks.
    with Progress(
        *Progress.get_default_columns(), MofNCompleteColumn(), console=console, auto_refresh=False
    ) as bar:
        task = bar.add_task("grading", total=None)

        def started(total: int) -> None:
            bar.update(task, total=total)
            bar.refresh()

        def finished(result: StudentResult) -> None:
            bar.update(task, advance=1, description=f"graded {result.id}")
            bar.refresh()

        with usage_errors():
            result = grade_batch(
                submissions=submissions,
                out=out,
                jobs=jobs,
                roster=roster,
                force=force,
                homework=homework,
                assignments=assignments,
                timeout_s=timeout_s,
                course_dir=course_dir,
                scheduler=scheduler,
                language=language,
                lms=lms,
                similarity=similarity,
                on_start=started,
                on_result=finished,
            )
    render_batch(result, console)
    _print_instructor_extras(result, out, console)
    console.print(f"[dim]gradebook written to {out}[/]")


def _print_instructor_extras(result: BatchResult, out: Path, console: Console) -> None:
    """The feedback files, the LMS file and who it left out, the most similar pairs: for the instructor."""
    if result.feedback:
        console.print(f"feedback for {len(result.feedback)} students in {out / 'feedback'} (.md and .html)")
    lms = result.lms
    if lms is not None:
        scaled = f", scaled from {lms.scaled[0]:g} to {lms.scaled[1]:g} points" if lms.scaled else ""
        console.print(
            f"{escape(lms.file)}: {lms.exported} grades in the column {escape(repr(lms.column))}{scaled}"
        )
        lists = (
            ("submissions with no student in the LMS", lms.unmatched_submissions),
            (f"students in the LMS with no submission (by {lms.match})", lms.unmatched_students),
            ("matched, without a complete grade (left unchanged)", [n.id for n in lms.not_exported]),
        )
        for label, names in lists:
            if names:
                console.print(f"[yellow]{escape(label)}:[/] {escape(', '.join(names))}")
    if result.similarity is not None:
        for exercise in result.similarity.exercises:
            top = exercise.pairs[0] if exercise.pairs else None
            shown = f"{top.first.student} and {top.second.student}, {top.score:.0%}" if top else "none"
            console.print(f"most similar pair in {exercise.exercise}: {escape(shown)} (report.html)")


@main.command("freeze")
@homework_option("Freeze only this homework's exercises. Default: every homework's.")
@click.option("--assignment", "-a", "assignments", multiple=True, metavar="ID")
@course_option
def freeze_command(homework: str | None, assignments: tuple[str, ...], course_dir: Path) -> None:
    """Compute the reference facts and write them into assignments/<homework>/<id>/facts/ (commit them).

    A starter built by `grade classroom` ships these instead of the reference solutions.
    """
    from grader.freeze import freeze

    console = Console()
    with usage_errors():
        frozen = freeze(course_dir=course_dir, homework=homework, assignments=assignments)
    for exercise in frozen:
        console.print(
            f"{exercise.id}: {', '.join(exercise.configurations)} → "
            f"{len(exercise.files)} files, {exercise.size_bytes / 1024:.0f} KiB"
        )


@main.command("new")
@click.argument("exercise", metavar="EXERCISE")
@homework_option("The homework the exercise joins (assignments/NAME/).", required=True)
@course_option
def new_command(exercise: str, homework: str, course_dir: Path) -> None:
    """Scaffold the exercise EXERCISE in a homework: reference, stub, exercise.toml and checks.

    The placeholder it writes grades end to end; replace it with the exercise (assignments/README.md).
    """
    from grader.scaffold import new_exercise

    with usage_errors():
        scaffolded = new_exercise(exercise=exercise, homework=homework, course_dir=course_dir)
    click.echo(_next_steps(scaffolded, course_dir))


def _next_steps(scaffolded: ScaffoldedExercise, course_dir: Path) -> str:
    """What ``grade new`` wrote, and the commands that take the placeholder to a real exercise."""
    course = "" if course_dir == settings.DEFAULT_COURSE_DIR else f" --course {_shown(course_dir)}"
    hw, ex = scaffolded.homework, scaffolded.id
    roles = (
        (scaffolded.reference, "the reference: a placeholder builder, replace it"),
        (scaffolded.stub, "the stub students fill in: write the statement"),
        (scaffolded.description, "module, builder, statement, layer types, shapes"),
        (scaffolded.checks, "the checks and their points: state the numbers in their names"),
    )
    created = "\n".join(f"  {_shown(path)}  ({role})" for path, role in roles)
    return (
        f"Created:\n{created}\nListed {ex} in {_shown(scaffolded.listed_in)}.\n\n"
        'Next steps (assignments/README.md, "Adding an exercise"):\n'
        "  1. Edit the four files for the real exercise.\n"
        f"  2. grade freeze -H {hw}{course}   (the whole homework: its facts record every reference file)\n"
        f"  3. grade submit {_shown(scaffolded.reference.parent)} -H {hw} -a {ex} --hidden{course}"
        "   (full marks)\n"
        f"     grade submit {_shown(scaffolded.stub.parent)} -H {hw} -a {ex}{course}   (0 points)\n"
        f"  4. Commit the four files, {_shown(scaffolded.listed_in)} and the facts/ freeze wrote."
    )


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it is inside it, as a user would type it."""
    absolute = path.resolve()
    return str(absolute.relative_to(Path.cwd()) if absolute.is_relative_to(Path.cwd()) else absolute)


@main.command("classroom")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@homework_option("The homework of the assignment. Default: the course's only one.")
@course_option
@lang_option
@click.option(
    "--notebook",
    is_flag=True,
    help="The students' file is a notebook (homework.ipynb, as `grade notebook` writes it), "
    "not the template's .py files.",
)
def classroom_command(
    out: Path, homework: str | None, course_dir: Path, language: str | None, notebook: bool
) -> None:
    """Write OUT, the template repository of a GitHub Classroom assignment (no reference inside)."""
    from grader.ship import classroom_starter

    with usage_errors():
        shipped = classroom_starter(
            out=out, course_dir=course_dir, homework=homework, language=language, notebook=notebook
        )
    Console().print(
        f"{len(shipped.files)} files written to {out}: push it as the assignment's template repository. "
        f"Classroom shows {shipped.visible_points:g} points; {shipped.hidden_points:g} more come from "
        "hidden checks in `grade batch` or on Gradescope."
    )


@main.command("gradescope")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@homework_option("The homework of the assignment. Default: the course's only one.")
@course_option
@lang_option
def gradescope_command(out: Path, homework: str | None, course_dir: Path, language: str | None) -> None:
    """Write OUT, a Gradescope autograder zip (upload it as the assignment's autograder).

    A student may submit the homework's .py files or one notebook (.ipynb)."""
    from grader.ship import gradescope_autograder

    with usage_errors():
        shipped = gradescope_autograder(out=out, course_dir=course_dir, homework=homework, language=language)
    Console().print(
        f"{out}: {len(shipped.files)} files, {out.stat().st_size / 1024**2:.1f} MiB, "
        f"{shipped.visible_points + shipped.hidden_points:g} points "
        f"({shipped.hidden_points:g} in hidden checks, shown after publishing). "
        "Use Gradescope's Ubuntu base image."
    )


@main.command("notebook")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@homework_option("The homework of the notebook. Default: the course's only one.")
@course_option
@lang_option
def notebook_command(out: Path, homework: str | None, course_dir: Path, language: str | None) -> None:
    """Write OUT, the homework's template as a notebook: each exercise's statement, its stub, and
    a cell that tries it at the seed's sizes on the meta device."""
    from grader.notebook.template import write_notebook

    with usage_errors():
        course = Course.load(course_dir)
        course.speak(language)
        written = write_notebook(out=out, homework=course.choose_homework(homework))
    click.echo(_("{file} written: fill in the builders, then `grade submit {file}`.").format(file=written))


@main.command("list")
@course_option
@click.option("--checks", is_flag=True, help="Show every check with its points.")
def list_command(course_dir: Path, checks: bool) -> None:
    """Show the homeworks, their exercises and points."""
    from rich.table import Table

    with usage_errors():
        homeworks = list_homeworks(course_dir=course_dir)
    table = Table(title="Homeworks and their exercises", title_justify="left")
    table.add_column("id")
    table.add_column("title")
    table.add_column("points", justify="right")
    for homework in homeworks:
        title = f"[bold]{escape(homework.title)}[/]"
        table.add_row(f"[bold]{homework.id}[/]", title, f"{homework.max_score:g}")
        for listing in homework.exercises:
            table.add_row(f"  {listing.id}", escape(listing.title), f"{listing.max_score:g}")
            if checks:
                for check in listing.checks:
                    label = f"{check.name} (hidden: needs the reference)" if check.hidden else check.name
                    table.add_row("", f"[dim]{escape(label)}[/]", f"[dim]{check.points:g}[/]")
    Console().print(table)

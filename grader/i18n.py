"""The language students read: gettext catalogs for the engine and for the course.

Every student-facing text is written in English in the code and looked up at the moment
it is shown, through ``_`` (or ``ngettext`` where English has a plural). The engine's
catalog ships compiled in the package (``grader/locale/<lang>/LC_MESSAGES/grader.mo``);
the course's texts (check names, exercise hints, titles, stage names) are in the course's
own catalog (``assignments/locale/<lang>/LC_MESSAGES/course.mo``), so an exercise is
translated without touching the engine. The sources are the ``.po`` files beside them;
``python -m grader.catalogs`` extracts, checks and compiles them (Babel, instructors only).

Messages use ``str.format`` placeholders by name (``_("{found} channels").format(found=n)``)
so a translation can put them in its own order. A text defined at import time is marked
with ``N_`` and translated where it is used.

The language in force is process-wide: the judge, the CLI and the notebook writer each
``activate`` it once, before they produce any text.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from pathlib import Path

from grader.errors import UsageError

#: Languages the grader speaks; the first is what it falls back to.
LANGUAGES = ("en", "ko")
DEFAULT_LANGUAGE = LANGUAGES[0]
ENGINE_DOMAIN = "grader"
COURSE_DOMAIN = "course"
ENGINE_LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: Set by ``activate``: processes started afterwards (the judge, the zygote, the sandboxed
#: children) speak the same language.
LANGUAGE_VARIABLE = "GRADER_LANGUAGE"


def course_locale_dir(course_dir: Path) -> Path:
    return course_dir / "assignments" / "locale"


_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = DEFAULT_LANGUAGE


def _(message: str) -> str:
    """``message`` in the language in force (itself where no translation exists)."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a text for extraction where it is defined; ``_`` translates it where it is used."""
    return message


def language() -> str:
    """The language in force."""
    return _language


def activate(lang: str, course_dir: Path | None = None) -> None:
    """Make ``lang`` the language of every text this process produces from now on.

    The course's catalog comes first and falls back to the engine's, so a course may also
    reword an engine message. A missing catalog means English for those texts, never an error.
    """
    global _translation, _language
    check_language(lang)
    engine = gettext.translation(ENGINE_DOMAIN, ENGINE_LOCALE_DIR, languages=[lang], fallback=True)
    translation = engine
    if course_dir is not None:
        course = gettext.translation(
            COURSE_DOMAIN, course_locale_dir(course_dir), languages=[lang], fallback=True
        )
        if isinstance(course, gettext.GNUTranslations):
            course.add_fallback(engine)
            translation = course
    _translation, _language = translation, lang
    os.environ[LANGUAGE_VARIABLE] = lang


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise UsageError(f"no language {lang!r}: the grader speaks {', '.join(LANGUAGES)}")
    return lang


def from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """The language the user's locale names, if the grader speaks it (``ko_KR.UTF-8`` → ``ko``).

    POSIX's order: ``LC_ALL`` overrides ``LC_MESSAGES``, which overrides ``LANG``. ``C`` and
    ``POSIX`` name no language, so a CI runner's ``C.UTF-8`` leaves the course's default.
    """
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            code = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return code if code in LANGUAGES else None
    return None


def resolve(explicit: str | None, course_default: str | None) -> str:
    """The language to speak: the one asked for, else the user's locale's, else the course's."""
    if explicit is not None:
        return check_language(explicit)
    return from_environment() or (course_default and check_language(course_default)) or DEFAULT_LANGUAGE

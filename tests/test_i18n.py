"""Feedback in the student's language: every text translated, placeholders intact, and the
language chosen as a student expects (--lang, then their locale, then the course's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import catalogs, i18n
from grader.course import Course
from grader.errors import UsageError
from tests.conftest import ROOT

_HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: ko\\n"\n\n'


@pytest.mark.parametrize("catalog", catalogs.catalogs(ROOT), ids=lambda c: c.domain)
@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE])
def test_every_student_facing_text_is_translated_with_its_placeholders(
    catalog: catalogs.Catalog, lang: str
) -> None:
    """The engine's texts (``_`` in grader/) and the course's (check names, hints, titles)."""
    problems = catalogs.check(catalog, lang)
    assert [str(p) for p in problems] == []


def test_the_check_finds_a_missing_translation_a_changed_placeholder_and_a_stale_file(tmp_path: Path) -> None:
    source = tmp_path / "code" / "messages.py"
    source.parent.mkdir()
    source.write_text(
        "from grader.i18n import _\n\n"
        '_("Hello {name}")\n'
        '_("Bye")\n'
        '_("{found} channels, expected {expected}")\n'
    )
    locale = tmp_path / "locale"
    (locale / "ko").mkdir(parents=True)
    (locale / "ko" / "one.po").write_text(
        _HEADER
        + 'msgid "Hello {name}"\nmsgstr "안녕하세요 {nom}"\n\n'
        + 'msgid "{found} channels, expected {expected}"\nmsgstr "채널 {found}개 (기대: {expected}개)"\n',
        encoding="utf-8",
    )
    catalog = catalogs.Catalog(domain="grader", sources_root=source.parent, locale_dir=locale)
    found = {(p.message, p.why.split(":")[0].split(" in ")[0]) for p in catalogs.check(catalog, "ko")}
    assert found == {
        ("Hello {name}", "placeholders ['nom']"),
        ("Bye", "no translation"),
        (str(catalog.compiled("ko")), "out of date"),
    }
    catalogs.compile_catalog(catalog, "ko")
    assert {p.why for p in catalogs.check(catalog, "ko")} >= {"no translation"}
    assert not any("out of date" in p.why for p in catalogs.check(catalog, "ko"))


def test_a_text_the_catalog_gives_is_shown_in_korean_and_english_stays_the_source() -> None:
    i18n.activate("ko", ROOT)
    assert i18n._("Uses nn.Conv2d") != "Uses nn.Conv2d"  # a check name: the course's catalog
    assert i18n.language() == "ko"
    i18n.activate("en", ROOT)
    assert i18n._("Uses nn.Conv2d") == "Uses nn.Conv2d"


@pytest.mark.parametrize(
    ("environ", "course", "expected"),
    [
        ({"LANG": "ko_KR.UTF-8"}, None, "ko"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}, "ko", "en"),  # LC_ALL overrides LANG
        ({"LANG": "C.UTF-8"}, "ko", "ko"),  # a CI runner's locale names no language
        ({"LANG": "fr_FR.UTF-8"}, None, "en"),  # a language the grader does not speak
        ({}, None, "en"),
    ],
)
def test_the_language_comes_from_the_locale_then_the_course(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], course: str | None, expected: str
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert i18n.resolve(None, course) == expected
    assert i18n.resolve("en", course) == "en"  # --lang wins


def test_an_unknown_language_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="speaks en, ko"):
        i18n.resolve("fr", None)
    course = Course.load(ROOT)
    assert course.language in (None, *i18n.LANGUAGES)

"""Translation catalogs: extract the texts, check the translations, compile them (Babel).

``python -m grader.catalogs check`` lists what is missing; ``update`` writes every text no
catalog translates yet into ``<lang>/untranslated.po`` for a translator; ``compile``
writes the ``.mo`` files the grader reads. Two catalogs, each from its own sources:

- the engine's, from ``grader/`` (``_``, ``ngettext``, ``N_`` calls), in
  ``grader/locale/<lang>/*.po``, compiled into ``grader/locale/<lang>/LC_MESSAGES/grader.mo``;
- the course's, from ``assignments/``: ``_`` calls in exercise code (hints.py), check names
  (the first line of a check's docstring) and the texts of course.toml, homework.toml and
  exercise.toml (titles, variant descriptions, stated shapes, stage names), in
  ``assignments/locale/<lang>/*.po``, compiled into ``.../LC_MESSAGES/course.mo``.

A catalog's sources may be several ``.po`` files (one per concern); a text is translated in
exactly one of them. Babel is needed here only: the grader reads the compiled files with
the standard library's gettext.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader import i18n, settings

Message = str | tuple[str, str]  # a text, or a singular with its plural
_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)(?:[!:][^{}]*)?\}(?!\})")
_KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
UNTRANSLATED = "untranslated.po"


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a text was found, for a translator's reference."""

    message: Message
    location: str  # path:line


@dataclass(frozen=True, kw_only=True)
class Catalog:
    domain: str
    sources_root: Path  # the folder whose code holds the texts
    locale_dir: Path

    def fragments(self, lang: str) -> list[Path]:
        """The catalog's sources; ``untranslated.po`` is a translator's worklist, not one."""
        return sorted(p for p in (self.locale_dir / lang).glob("*.po") if p.name != UNTRANSLATED)

    def compiled(self, lang: str) -> Path:
        return self.locale_dir / lang / "LC_MESSAGES" / f"{self.domain}.mo"


def catalogs(course_dir: Path = settings.DEFAULT_COURSE_DIR) -> tuple[Catalog, Catalog]:
    engine = Catalog(
        domain=i18n.ENGINE_DOMAIN,
        sources_root=i18n.ENGINE_LOCALE_DIR.parent,
        locale_dir=i18n.ENGINE_LOCALE_DIR,
    )
    course = Catalog(
        domain=i18n.COURSE_DOMAIN,
        sources_root=course_dir / "assignments",
        locale_dir=i18n.course_locale_dir(course_dir),
    )
    return engine, course


def extract(catalog: Catalog) -> list[Source]:
    """Every text of the catalog's sources, in file order (repeats kept: each has a location)."""
    from babel.messages.extract import extract_from_file

    found: list[Source] = []
    root = catalog.sources_root
    for path in sorted(root.rglob("*.py")):
        if "locale" in path.relative_to(root).parts or path.name == "catalogs.py":
            continue
        for line, text, _comments, _context in extract_from_file(
            "python", str(path), keywords=_KEYWORDS, comment_tags=()
        ):
            message = (text[0], text[1]) if isinstance(text, tuple) else text
            found.append(Source(message=message, location=f"{path.relative_to(root.parent)}:{line}"))
        if catalog.domain == i18n.COURSE_DOMAIN and path.name.startswith("test_"):
            found += _check_names(path, root)
    if catalog.domain == i18n.COURSE_DOMAIN:
        for path in sorted(root.rglob("*.toml")):
            found += _toml_texts(path, root)
    return found


def _check_names(path: Path, root: Path) -> list[Source]:
    """A check's name is the first line of its docstring (grader/judge/plugin.py)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            doc = ast.get_docstring(node)
            if doc:
                names.append(
                    Source(
                        message=doc.strip().splitlines()[0].strip(),
                        location=f"{path.relative_to(root.parent)}:{node.lineno}",
                    )
                )
    return names


#: The keys of course, homework and exercise files whose values students read.
_TOML_TEXT_KEYS = frozenset({"title", "description", "name"})


def _toml_texts(path: Path, root: Path) -> list[Source]:
    location = str(path.relative_to(root.parent))

    def walk(value: object) -> Iterator[str]:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in _TOML_TEXT_KEYS and isinstance(item, str):
                    yield item
                else:
                    yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Source(message=text, location=location) for text in walk(data)]


def placeholders(text: str) -> list[str]:
    """The names of a text's ``str.format`` fields, sorted (``{{`` is a brace, not a field)."""
    return sorted(_PLACEHOLDER.findall(text))


@dataclass(frozen=True, kw_only=True)
class Problem:
    catalog: str
    lang: str
    message: Message
    why: str
    where: str = ""

    def __str__(self) -> str:
        text = self.message if isinstance(self.message, str) else self.message[0]
        return f"{self.catalog}/{self.lang}: {text!r}: {self.why}" + (
            f" ({self.where})" if self.where else ""
        )


def _read(fragment: Path):
    from babel.messages.pofile import read_po

    with fragment.open("rb") as file:
        return read_po(file, locale=fragment.parent.name)


def translations(catalog: Catalog, lang: str) -> tuple[dict[Message, object], list[Problem]]:
    """Each text's translation (a string, or a tuple of plural forms), from every fragment."""
    merged: dict[Message, object] = {}
    problems = []
    for fragment in catalog.fragments(lang):
        for entry in _read(fragment):
            if not entry.id:
                continue
            key = entry.id if isinstance(entry.id, str) else tuple(entry.id)
            if key in merged:
                problems.append(
                    Problem(
                        catalog=catalog.domain,
                        lang=lang,
                        message=key,
                        why=f"translated twice ({fragment.name})",
                    )
                )
            if entry.fuzzy or not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
                continue
            merged[key] = entry.string if isinstance(entry.string, str) else tuple(entry.string)
    return merged, problems


def check(catalog: Catalog, lang: str) -> list[Problem]:
    """What keeps the catalog from giving every text of its sources in ``lang``, placeholders
    and all; and whether the compiled file says what the sources say."""
    merged, problems = translations(catalog, lang)
    seen: set[Message] = set()
    for source in extract(catalog):
        message = source.message
        if message in seen:
            continue
        seen.add(message)
        translated = merged.get(message)
        if translated is None:
            problems.append(
                Problem(
                    catalog=catalog.domain,
                    lang=lang,
                    message=message,
                    why="no translation",
                    where=source.location,
                )
            )
            continue
        originals = [message] if isinstance(message, str) else list(message)
        forms = [translated] if isinstance(translated, str) else list(translated)
        expected = placeholders(originals[-1])
        for form in forms:
            if placeholders(form) != expected:
                problems.append(
                    Problem(
                        catalog=catalog.domain,
                        lang=lang,
                        message=message,
                        why=f"placeholders {placeholders(form)} in the translation, {expected} in the text",
                        where=source.location,
                    )
                )
    problems += [
        Problem(catalog=catalog.domain, lang=lang, message=m, why="translated, but no source has it")
        for m in merged
        if m not in seen
    ]
    if _texts_of(_compiled_catalog(catalog, lang)) != _texts_of(_compile(catalog, lang)):
        problems.append(
            Problem(
                catalog=catalog.domain,
                lang=lang,
                message=str(catalog.compiled(lang)),
                why="out of date: run `python -m grader.catalogs compile`",
            )
        )
    return problems


def _compile(catalog: Catalog, lang: str) -> bytes:
    from babel.messages.catalog import Catalog as BabelCatalog
    from babel.messages.mofile import write_mo

    merged, _problems = translations(catalog, lang)
    compiled = BabelCatalog(locale=lang, domain=catalog.domain)
    for message, translated in sorted(merged.items(), key=lambda item: str(item[0])):
        compiled.add(message, translated)
    buffer = io.BytesIO()
    write_mo(buffer, compiled)
    return buffer.getvalue()


def _compiled_catalog(catalog: Catalog, lang: str) -> bytes | None:
    path = catalog.compiled(lang)
    return path.read_bytes() if path.is_file() else None


def _texts_of(compiled: bytes | None) -> dict[object, str] | None:
    """A compiled catalog's texts, less its header (which names Babel's version and a date)."""
    if compiled is None:
        return None
    import gettext

    texts = dict(gettext.GNUTranslations(io.BytesIO(compiled))._catalog)  # type: ignore[attr-defined]
    texts.pop("", None)
    return texts


def compile_catalog(catalog: Catalog, lang: str) -> Path:
    path = catalog.compiled(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_compile(catalog, lang))
    return path


def update(catalog: Catalog, lang: str) -> Path | None:
    """Write the texts no fragment translates yet into ``untranslated.po`` (None: there are none)."""
    from babel.messages.catalog import Catalog as BabelCatalog
    from babel.messages.pofile import write_po

    merged, _problems = translations(catalog, lang)
    untranslated = [s for s in extract(catalog) if s.message not in merged]
    target = catalog.locale_dir / lang / UNTRANSLATED
    if not untranslated:
        return None
    pending = BabelCatalog(locale=lang, domain=catalog.domain)
    for source in untranslated:
        path, _, line = source.location.rpartition(":")
        location = (path, int(line)) if line.isdigit() else (source.location, 0)
        existing = pending.get(source.message)
        if existing is None:
            pending.add(
                source.message, "" if isinstance(source.message, str) else ("",), locations=[location]
            )
        else:
            existing.locations.append(location)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as file:
        write_po(file, pending, width=100, omit_header=True)
    return target


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    languages = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE]
    problems: list[Problem] = []
    for catalog in catalogs():
        for lang in languages:
            if command == "compile":
                print(compile_catalog(catalog, lang))
            elif command == "update":
                written = update(catalog, lang)
                print(written or f"{catalog.domain}/{lang}: nothing to translate")
            elif command == "check":
                problems += check(catalog, lang)
            else:
                print("usage: python -m grader.catalogs [check|update|compile]", file=sys.stderr)
                return 2
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

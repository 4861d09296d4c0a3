"""Words for people in Finnish (the default), Swedish and English, from one catalogue each.

The catalogues are gettext PO files, the source of truth::

    onrtools/locale/fi/LC_MESSAGES/onrtools.po
    onrtools/locale/sv/LC_MESSAGES/onrtools.po
    onrtools/locale/en/LC_MESSAGES/onrtools.po

read at run time with Babel (``babel.messages.pofile.read_po``, once per language per
process); nothing is compiled, so a fresh clone works as it is and the files ship as package
data. Each ``msgid`` is a **stable dotted key**, not a source text: the first part names where
it is used (``validation.invalid.hetu``, ``hetu.reason.check``, ``reconcile.passivated.title``,
``kpi.conflicts.label``, ``requests.summary.rows``, ``page.30.title``…), and its ``msgstr`` in
every catalogue, English included, holds the text. Placeholders are ``str.format`` fields
(``{detail}``, ``{rows}``); a key has the same fields in all three catalogues. There is no
fallback from one language to another: tests/test_i18n.py fails when a key is missing or empty
in any catalogue, marked fuzzy, or has other placeholders than in Finnish. The Swedish
catalogue's header lists the terms chosen (personbeteckning for hetu, studentnummer for
oppijanumero, as ONR's own Swedish UI says).

The language is one parameter, ``language``: :func:`resolve_language` takes an explicit value
when given, else ``ONR_LANGUAGE``, else ``fi``, and refuses anything but ``fi``, ``sv`` and
``en``. Use::

    translate("validation.invalid.hetu", "sv", detail="…")   # one message
    t = Messages("sv"); t("page.30.title")                   # bound to a language
    Message("register.read.empty").render("sv")              # kept now, put in words later

A :class:`Message` (a key and its fields, not yet in any language) is what an error carries
when whoever shows it chooses the language: ``RegisterReadError.render(language)``.

Registry field names (``hetu``, ``etunimet``, ``kutsumanimi``, ``oppijanumero``…) and machine
codes stay as they are in data columns and files ONR reads; only what a person reads is here.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
ENV_VARIABLE = "ONR_LANGUAGE"
DOMAIN = "onrtools"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# how each language calls itself, for the help texts and the HTML lang attribute
LANGUAGE_NAMES: dict[str, str] = {"fi": "suomi", "sv": "svenska", "en": "English"}


class LanguageError(ValueError):
    """A language other than fi, sv or en was asked for."""


def resolve_language(explicit: str | None = None, *,
                     environ: Mapping[str, str] | None = None) -> str:
    """The language to use: ``explicit`` when given (not empty), else ``ONR_LANGUAGE``, else
    ``fi``. ``LanguageError`` (a ``ValueError``) names the allowed values for anything else."""
    environ = os.environ if environ is None else environ
    given = (explicit or "").strip()
    source = "language"
    if not given:
        given = (environ.get(ENV_VARIABLE) or "").strip()
        source = ENV_VARIABLE
    if not given:
        return DEFAULT_LANGUAGE
    code = given.lower()
    if code not in LANGUAGES:
        raise LanguageError(
            f"{source} must be one of {', '.join(LANGUAGES)} (fi = suomi, sv = svenska, "
            f"en = English), got {given!r}")
    return code


def catalogue_path(language: str) -> Path:
    """The PO file of ``language`` (one of :data:`LANGUAGES`)."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: str) -> dict[str, str]:
    """``{key: text}`` of one language's catalogue (read once per process)."""
    from babel.messages.pofile import read_po

    if language not in LANGUAGES:
        raise LanguageError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    with catalogue_path(language).open("rb") as handle:
        parsed = read_po(handle, locale=language, domain=DOMAIN)
    return {str(m.id): str(m.string) for m in parsed if m.id and isinstance(m.id, str)}


def has(key: str) -> bool:
    """True when ``key`` is in the (Finnish, the reference) catalogue."""
    return key in catalogue(DEFAULT_LANGUAGE)


def placeholders(text: str) -> set[str]:
    """The ``str.format`` fields of a message (``{detail}`` -> ``detail``)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def translate(key: str, language: str | None = None, /, **fields: Any) -> str:
    """The message ``key`` in ``language`` (resolved by :func:`resolve_language`), its
    placeholders filled from ``fields``. ``KeyError`` names a key no catalogue holds."""
    lang = language if language in LANGUAGES else resolve_language(language)
    try:
        text = catalogue(lang)[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in the {lang} catalogue "
                       f"({catalogue_path(lang)})") from None
    return text.format(**fields) if fields else text


def translate_or(key: str, default: str, language: str | None = None, /,
                 **fields: Any) -> str:
    """:func:`translate`, or ``default`` when the catalogue has no ``key``."""
    return translate(key, language, **fields) if has(key) else default


def render_field(value: Any, language: str) -> Any:
    """A field as it goes into a message in ``language``: a :class:`Message` rendered; a list or
    tuple of them rendered and joined with ``"; "``, of anything else joined with ``", "``; any
    other value (a path, a sheet or column name: data, not words) as it is."""
    if isinstance(value, Message):
        return value.render(language)
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = [render_field(v, language) for v in value]
        separator = "; " if any(isinstance(v, Message) for v in value) else ", "
        return separator.join(map(str, items))
    return value


class Message:
    """A catalogue message kept as its ``key`` and ``fields``, put in words by
    :meth:`render` in the language of whoever shows it. A field may itself be a Message or a
    list of them (a composite message: every sheet and why), see :func:`render_field`."""

    __slots__ = ("key", "fields")

    def __init__(self, key: str, /, **fields: Any) -> None:
        self.key = key
        self.fields = fields

    def render(self, language: str | None = None) -> str:
        """The text in ``language`` (fi, sv or en; None or empty: ``ONR_LANGUAGE``, else fi)."""
        lang = language if language in LANGUAGES else resolve_language(language)
        return translate(self.key, lang, **{name: render_field(value, lang)
                                            for name, value in self.fields.items()})

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Message) and (self.key, self.fields) == (other.key,
                                                                            other.fields))

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        fields = "".join(f", {name}={value!r}" for name, value in self.fields.items())
        return f"Message({self.key!r}{fields})"


class Messages:
    """The catalogue of one language: ``t = Messages("sv"); t("page.10.title")``."""

    def __init__(self, language: str | None = None) -> None:
        self.language = resolve_language(language)

    def __call__(self, key: str, /, **fields: Any) -> str:
        return translate(key, self.language, **fields)

    def get(self, key: str, default: str, /, **fields: Any) -> str:
        return translate_or(key, default, self.language, **fields)

    def __repr__(self) -> str:
        return f"Messages({self.language!r})"


def format_number(value: float, language: str | None = None, *, decimals: int = 0) -> str:
    """``12 345`` (fi, sv) or ``12,345`` (en): a number as the language writes it (Babel)."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=resolve_language(language))


def translate_count(key: str, count: float, language: str | None = None, /,
                    **fields: Any) -> str:
    """``<key>.one`` when ``count`` is exactly 1, else ``<key>.other`` (Finnish, Swedish and
    English all have these two forms): ``1 rivi`` / ``3 riviä``, ``1 rad`` / ``3 rader``."""
    return translate(f"{key}.{'one' if count == 1 else 'other'}", language, **fields)

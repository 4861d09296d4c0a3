"""The whole exception tree of onrtools.

::

    OnrError                 catch this in notebooks
    ├── ConfigError          missing or invalid ONR_* setting
    ├── AuthError            CAS/OAuth2 refused the credentials or ticket, or rights are missing
    ├── RegistryUnavailable  timeout or connection failure (wraps httpx.TransportError)
    ├── ApiError             non-2xx: .status, .method, .path, .detail
    │   ├── NotFound         unknown oid / tuonti id
    │   └── Conflict         409 (names do not match)
    ├── AmbiguousSend        a PUT may or may not have reached ONR; resolved before resending
    ├── ValidationFailed     rows rejected before sending: .problems, all of them
    ├── RegisterReadError    the register file itself cannot be read: .path, .row, .field;
    │   │                    .key and .fields name the message, .render(language) says it
    │   └── ColumnMappingError  a --column / [columns] item is not "FILE COLUMN=field" (also
    │                        a ValueError)
    ├── EnvironmentGuardError test data towards production or real data towards a test env
    ├── TuontiFailed         import finished with row errors: .tuonti_id, .row_errors
    ├── TuontiTimeout        polling gave up: .tuonti_id, .last_status
    ├── LedgerError          the evidence ledger is broken: .entry (first bad entry)
    └── WorkspaceError       a frame in the workspace is not what a step wrote: .path

Data lives in attributes; the message is for people. Neither holds a password, ticket,
cookie or full hetu. Programmer mistakes stay TypeError/ValueError.
"""

from __future__ import annotations

import re
from typing import Any

# Spring's field error: the rejected value sits between "rejected value [" and "]; codes ["
_FIELD_ERROR = re.compile(
    r"Field error in object '[^']*' on field '(?P<field>[^']*)': rejected value \[.*?\]; "
    r"codes \[(?P<codes>.*?)\]; arguments \[.*?\]; default message \[(?P<message>[^\[\]]*)\]\]",
    re.S)
_VALUE_ECHOES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"rejected value \[.*?\](?=; codes|\s*$)", re.S), "rejected value [***]"),
    # database: Key (passinumero)=(X123) already exists
    (re.compile(r"\)=\([^)]*\)"), ")=(***)"),
    # pydantic, when ONR's answer does not parse: the input echoed
    (re.compile(r"input_value=.*?(?=, input_type=|$)", re.S), "input_value=***"),
    (re.compile(r"""\b(from|value)( String)? (["'`]).*?\3""", re.S), r"\1\2 \3***\3"),
]


def mask_registry_text(text: Any, limit: int = 500) -> str:
    """ONR's error text made safe to store, log and show: no hetu, no name.

    ONR's 400 for a failed bean validation carries Spring's message: the handler's Java
    signature and every rejected value (hetus and names of the rows). It is shortened to
    ``field: code (message)`` per error; any other echoed value (``rejected value [...]``,
    ``Key (...)=(...)``, a quoted input) is starred, and hetus are masked as ``131052-****``.
    """
    text = str(text)
    if text.startswith("Validation failed for argument"):
        errors = [f"{m['field']}: {m['codes'].split(',')[-1] or '?'} ({m['message']})"
                  for m in _FIELD_ERROR.finditer(text)]
        text = f"bean validation failed ({len(errors)} errors): " + "; ".join(errors) if errors \
            else "bean validation failed"
    for pattern, replacement in _VALUE_ECHOES:
        text = pattern.sub(replacement, text)
    from onrtools.register.hetu import mask_in_text  # here: errors is imported before pandas is

    text = mask_in_text(text)  # a hetu anywhere, any case or sign: the birth date part kept
    return text if len(text) <= limit else text[: limit - 1] + "…"


class OnrError(Exception):
    """Base of every error onrtools raises on purpose."""


class ConfigError(OnrError):
    """A missing or invalid ONR_* setting."""


class AuthError(OnrError):
    """Authentication failed, or (ONR answers 401 for both) the user lacks the rights."""


class RegistryUnavailable(OnrError):
    """Timeout or connection failure talking to ONR."""


class ApiError(OnrError):
    """ONR answered with a non-2xx status."""

    def __init__(self, status: int, method: str, path: str, detail: Any = None) -> None:
        self.status = status
        self.method = method
        self.path = path
        # ONR's texts echo hetus and names: masked here, whoever built the error
        self.detail = mask_registry_text(detail) if isinstance(detail, str) else detail
        detail = self.detail
        super().__init__(f"{method} {path} answered {status}" + (f": {detail}" if detail else ""))


class NotFound(ApiError):
    """404: unknown oid, tuonti id or hetu."""


class Conflict(ApiError):
    """409: the names given do not match the registry's."""


class AmbiguousSend(OnrError):
    """A non-idempotent request may have reached ONR; it must be resolved, not resent."""


class ValidationFailed(OnrError):
    """Rows were rejected before anything was sent; ``problems`` holds all of them."""

    def __init__(self, message: str, problems: Any = None) -> None:
        self.problems = problems
        super().__init__(message)


class RegisterReadError(OnrError):
    """The register file cannot be read at all (not a row-level problem).

    The message is a catalogue ``key`` and its ``fields`` (keyword data: line numbers, sheet
    and column names; a field may be an :class:`onrtools.i18n.Message` or a list of them, as
    in "every sheet and why"). :meth:`render` puts it in fi, sv or en for the person reading
    it, prefixed with ``path``; ``str(exc)`` is the English text (logs), or that of
    ``language`` for a copy made by :meth:`in_language`.
    """

    def __init__(
        self, key: str, /, *, path: str | None = None, row: int | None = None,
        field: str | None = None, language: str = "en", **fields: Any,
    ) -> None:
        self.key = key
        self.fields = fields
        self.path = path
        self.row = row
        self.field = field
        self.language = language
        super().__init__(self.render(language))

    def render(self, language: str | None = None) -> str:
        """The message in ``language`` (fi, sv or en; None or empty: ``ONR_LANGUAGE``, else
        fi), the file's path first: ``henkilot.csv: tiedosto on tyhjä``."""
        from onrtools.i18n import Message

        text = Message(self.key, **self.fields).render(language)
        return f"{self.path}: {text}" if self.path else text

    def in_language(self, language: str | None) -> RegisterReadError:
        """The same error whose ``str()`` is in ``language``: to raise where a person reads the
        exception's own text (a notebook's traceback, the run summary)."""
        from onrtools.i18n import resolve_language

        copy = type(self)(self.key, path=self.path, row=self.row, field=self.field,
                          language=resolve_language(language), **self.fields)
        copy.__cause__, copy.__context__ = self.__cause__, self.__context__
        copy.__suppress_context__ = self.__suppress_context__
        return copy

    def __reduce__(self) -> tuple[Any, ...]:  # pickled (a worker process) with key and fields
        return (_rebuild_read_error, (type(self), self.key, {
            "path": self.path, "row": self.row, "field": self.field,
            "language": self.language, **self.fields}))


def _rebuild_read_error(cls: type[RegisterReadError], key: str,
                        kwargs: dict[str, Any]) -> RegisterReadError:
    return cls(key, **kwargs)


class ColumnMappingError(RegisterReadError, ValueError):
    """A column mapping item (``--column``, ``[columns]``, the ``columns`` parameter) is not
    ``FILE COLUMN=field``: ``key`` ``register.read.mapping.syntax``, ``fields`` ``given``. A
    RegisterReadError, so wherever an unreadable file is shown in the chosen language this is
    too; a ValueError, as it was before it had a key."""


class EnvironmentGuardError(OnrError):
    """Test-range data towards production, or real-looking data towards a test environment."""


class TuontiFailed(OnrError):
    """An import finished, or stopped, with row errors."""

    def __init__(self, message: str, tuonti_id: int | None = None, row_errors: Any = None) -> None:
        self.tuonti_id = tuonti_id
        self.row_errors = row_errors
        super().__init__(message)


class TuontiTimeout(OnrError):
    """Polling an import gave up."""

    def __init__(self, message: str, tuonti_id: int | None = None, last_status: Any = None) -> None:
        self.tuonti_id = tuonti_id
        self.last_status = last_status
        super().__init__(message)


class LedgerError(OnrError):
    """The evidence ledger failed verification; ``entry`` names the first bad entry."""

    def __init__(self, message: str, entry: int | None = None) -> None:
        self.entry = entry
        super().__init__(message)


class WorkspaceError(OnrError):
    """A workspace file is missing its format, changed, truncated, or an old pickle."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path

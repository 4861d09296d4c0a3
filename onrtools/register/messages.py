"""The problem messages of register reading and validation: :func:`render_message` renders a
problem code from the message catalogues (:mod:`onrtools.i18n`).

Its own module so that both :mod:`onrtools.register.read` (rows a file cannot give) and
:mod:`onrtools.register.validation` (rows that break ONR's rules) render from it, and the
register reader does not import the validator.
"""

from __future__ import annotations

from onrtools import i18n

# The messages are in the catalogues (onrtools/locale/*/LC_MESSAGES/onrtools.po, read by
# onrtools.i18n) under "validation.<code>"; "{detail}" is filled per row, "{field}" with the
# field name. A code without a message of its own is shown as the code itself.
MESSAGE_PREFIX = "validation."


def message_key(code: str) -> str | None:
    """The catalogue key of a problem code (``*.required`` share one), or None."""
    for candidate in (code, "required" if code.endswith(".required") else None):
        if candidate is not None and i18n.has(MESSAGE_PREFIX + candidate):
            return MESSAGE_PREFIX + candidate
    return None


def render_message(code: str, detail: str, field_name: str, language: str | None = None) -> str:
    """The human message for one problem, in ``language`` (fi, sv or en)."""
    key = message_key(code)
    if key is None:
        return code
    template = i18n.translate(key, language)
    return template.replace("{detail}", detail).replace("{field}", field_name)

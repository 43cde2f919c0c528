"""Which texts every supported database can store."""

from __future__ import annotations


def is_storable(text: str) -> bool:
    """Whether every database can store ``text``: no NUL (PostgreSQL refuses it) and no lone surrogate.

    Python's JSON reader lets ``"\\ud800"`` through as a lone surrogate, which
    no UTF-8 database can encode: one such key would fail every flush holding it.
    """
    if "\x00" in text:
        return False
    if text.isascii():  # the usual case, and cheap
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

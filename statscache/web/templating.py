"""What the pages' templates may use besides Flask's own: how times and windows are written, and the navigation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from statscache.store.ledger import PluginState
from statscache.web import board
from statscache.web.api import state
from statscache.windows import interval_suffix


def utc(moment: datetime | str | float | None) -> str:
    """A time as people read it, to the minute, in UTC: ``2015-06-01 12:34 UTC`` (seconds when it has any)."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    elif not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=UTC)
    moment = moment.astimezone(UTC)
    shown = "%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M"
    return moment.strftime(shown) + " UTC"


def window(interval: timedelta) -> str:
    """A window length as the idents write it: ``1m``, ``1h``, ``1d``."""
    return interval_suffix(interval)


def took(seconds: float) -> str:
    """How long something took, to the second under a minute and to the minute above: ``45 s``, ``1 h 05 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    hours, minutes = divmod(round(whole / 60), 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours:02d} h"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


#: Enums longer than this are counted, not listed (a plugin's ident has dozens of values).
MAX_LISTED = 8


def schema(described: dict[str, Any], name: str = "") -> str:
    """What a JSON schema accepts, in a few words: ``integer 1..100, default 100``.

    An enum of more than :data:`MAX_LISTED` values is counted (``one of 29 values``); the ``ident`` parameter's
    says where they are listed.
    """
    if described.get("type") == "array":
        return f"repeatable: {schema(described.get('items', {}), name)}"
    if "oneOf" in described:
        return " or ".join(schema(choice, name) for choice in described["oneOf"])
    words = [described.get("format") or described.get("type", "any")]
    if "enum" in described:
        values = described["enum"]
        if len(values) <= MAX_LISTED:
            words = [" | ".join(str(value) for value in values)]
        elif name == "ident":
            words = [f"one of the {len(values)} idents listed by /api/"]
        else:
            words = [f"one of {len(values)} values"]
    if "minimum" in described or "maximum" in described:
        words.append(f"{described.get('minimum', '')}..{described.get('maximum', '')}")
    if "maxLength" in described:
        words.append(f"at most {described['maxLength']} characters")
    if "default" in described:
        words.append(f"default {described['default']}")
    return ", ".join(str(word) for word in words)


def install(app: Flask) -> None:
    app.jinja_env.filters["utc"] = utc
    app.jinja_env.filters["window"] = window
    app.jinja_env.filters["took"] = took
    app.jinja_env.filters["schema"] = schema

    @app.context_processor
    def navigation() -> dict[str, Any]:
        current = state()
        return {
            "has_board": any(board.has_board(plugin) for plugin in current.plugins.values()),
            # Before the daemon has written anything, every page says so (remembered once it has).
            "database_ready": current.has_table(PluginState.__tablename__),
        }

"""What fetching history raises: kept within the history package (backfill reports it as failed stretches)."""

from __future__ import annotations

import requests

from statscache.exceptions import StatscacheError


class HistoryUnavailable(StatscacheError):
    """A page of history could not be had, even after every retry."""


class HistoryRefused(StatscacheError):
    """datagrepper answered with something impossible (too large, off its endpoint, not a page of that window)."""


class DeadlineExceeded(requests.Timeout):
    """The whole exchange took longer than its deadline (a timeout: worth trying again)."""


class Refused(StatscacheError):
    """An answer refused for what it is, not for how it came: asking again would get the same."""


class TooLarge(Refused):
    """The body is larger than the cap."""


class OffEndpoint(Refused):
    """A redirect leads off the configured endpoint."""

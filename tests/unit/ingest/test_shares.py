"""What each plugin gets of a flush (statscache.ingest.shares): decided without a database."""

from __future__ import annotations

from datetime import timedelta

from statscache.ingest.cache import Entry
from statscache.ingest.shares import divide
from statscache.plugins.builtin.volume import Volume, VolumeByCategory

HOUR, DAY = Volume(timedelta(hours=1)), Volume(timedelta(days=1))
CATEGORY = VolumeByCategory(timedelta(hours=1))
#: (plugin, family): the two volumes share family 0, the contributions of VolumeByCategory sit at 1.
PLUGINS = [(HOUR, 0), (DAY, 0), (CATEGORY, 1)]


def entries(*msg_ids: str) -> dict[str, Entry]:
    return {msg_id: Entry(msg_id, float(n), (True, ("c",))) for n, msg_id in enumerate(msg_ids)}


def by_ident(shares):
    return {share.plugin.ident: share for share in shares}


def ids(share):
    return sorted(entry.msg_id for entry in share.entries)


def test_new_messages_go_to_every_plugin_in_one_batch_per_family():
    drained = entries("a", "b")
    shares = by_ident(divide(PLUGINS, drained, {}, {}, {}))
    assert {ident: ids(share) for ident, share in shares.items()} == {
        "volume-1h": ["a", "b"],
        "volume-1d": ["a", "b"],
        "volume-by-category-1h": ["a", "b"],
    }
    assert shares["volume-1h"].batch is shares["volume-1d"].batch  # one family: one batch
    assert shares["volume-1h"].batch is not shares["volume-by-category-1h"].batch
    assert list(shares["volume-by-category-1h"].batch) == [(0.0, ("c",)), (1.0, ("c",))]
    assert all(share.duplicates == 0 and share.offered == drained for share in shares.values())


def test_a_message_every_plugin_counted_reaches_none_and_is_a_duplicate_of_each():
    everyone = frozenset({"volume-1h", "volume-1d", "volume-by-category-1h"})
    shares = divide(PLUGINS, entries("a", "b"), {}, {}, {"a": everyone})
    assert all(ids(share) == ["b"] and share.duplicates == 1 for share in shares)
    assert all(set(share.offered) == {"a", "b"} for share in shares)  # recorded again: nothing changes


def test_a_plugin_that_missed_a_message_others_counted_gets_it_alone():
    shares = by_ident(divide(PLUGINS, entries("a", "b"), {}, {}, {"a": frozenset({"volume-1h"})}))
    assert ids(shares["volume-1h"]) == ["b"] and shares["volume-1h"].duplicates == 1
    assert ids(shares["volume-1d"]) == ["a", "b"] and shares["volume-1d"].duplicates == 0
    assert ids(shares["volume-by-category-1h"]) == ["a", "b"]


def test_history_fetched_for_some_plugins_is_offered_to_them_alone():
    shares = by_ident(divide(PLUGINS, entries("a", "b"), {"a": frozenset({"volume-1d"})}, {}, {}))
    assert ids(shares["volume-1d"]) == ["a", "b"]
    assert ids(shares["volume-1h"]) == ["b"] and set(shares["volume-1h"].offered) == {"b"}
    assert ids(shares["volume-by-category-1h"]) == ["b"]


def test_a_plugin_that_failed_gets_its_kept_messages_with_the_new_ones():
    kept = {CATEGORY: entries("old")}
    shares = by_ident(divide(PLUGINS, entries("new"), {}, kept, {}))
    assert ids(shares["volume-by-category-1h"]) == ["new", "old"]
    assert ids(shares["volume-1h"]) == ["new"]


def test_kept_messages_it_has_counted_meanwhile_are_not_counted_again():
    kept = {CATEGORY: entries("old")}
    shares = by_ident(divide(PLUGINS, {}, {}, kept, {"old": frozenset({"volume-by-category-1h"})}))
    assert ids(shares["volume-by-category-1h"]) == [] and shares["volume-by-category-1h"].duplicates == 1

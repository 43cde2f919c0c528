"""The board's grid: each group's tiles at the row and column their categories name, in natural order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, insert

from statscache.plugins.builtin.releng import RelengDashboard
from statscache.web import board

WHEN = datetime(2015, 10, 28, 12, 0, tzinfo=UTC)
KOJI = "https://kojipkgs.fedoraproject.org/compose/"


@pytest.fixture
def laid_out():
    """The releng plugin's groups over a hand-made table: a few composes, image tests, pushes and a release."""
    plugin = RelengDashboard()
    engine = create_engine("sqlite://")
    table = plugin.model.__table__
    table.create(engine)
    events = [
        ("compose/rawhide/x86_64", "FINISHED", KOJI),
        ("compose/rawhide/armhfp", "STARTED", None),
        ("compose/f23/x86_64", "DOOMED", "javascript:alert(1)"),
        ("image-test/Fedora-Cloud-Base/rawhide", "success", None),
        ("image-test/Fedora-Cloud-Base/23_TC10", "failed", None),
        ("image-test/Fedora-Cloud-Base/23", "success", None),
        ("image-test/Fedora-Cloud-Atomic/22", "success", None),
        ("image-test/Fedora-Cloud-Base/22", "success", None),
        ("image-test/Fedora-Cloud-Base/23_TC9", "failed", None),
        ("updates-push/f23-updates", "pushed", None),
        ("updates-sync/23", "synced", None),
        ("atomic/two-week", "released", None),
    ]
    rows = [
        {"category": c, "status": s, "link": link, "timestamp": WHEN, "msg_id": f"m{n}"}
        for n, (c, s, link) in enumerate(events)
    ]
    with engine.begin() as connection:
        connection.execute(insert(table), rows)
    with engine.connect() as connection:
        found = {group.title: group for group in board.groups(connection, plugin)}
    engine.dispose()
    return found


def test_a_group_is_a_grid_of_rows_and_columns_in_natural_order(laid_out):
    images = laid_out["Cloud image tests"]
    assert images.columns == ["22", "23", "23_TC9", "23_TC10", "rawhide"]
    assert [key for key, _ in images.rows] == ["Fedora-Cloud-Atomic", "Fedora-Cloud-Base"]
    atomic, base = (cells for _, cells in images.rows)
    assert [tile and tile.category for tile in atomic] == ["image-test/Fedora-Cloud-Atomic/22", None, None, None, None]
    assert [tile and tile.status for tile in base] == ["success", "success", "failed", "failed", "success"]
    assert len(images.tiles) == 6


def test_each_tile_sits_at_the_row_and_column_its_category_names(laid_out):
    for group in laid_out.values():
        for key, cells in group.rows:
            assert len(cells) == len(group.columns)
            for column, tile in zip(group.columns, cells, strict=True):
                if tile is not None:
                    assert tile.name == (f"{key}/{column}" if column else key)


def test_composes_are_branches_by_architectures_with_links_and_their_hosts(laid_out):
    composes = laid_out["Composes"]
    assert composes.columns == ["armhfp", "x86_64"]
    assert [key for key, _ in composes.rows] == ["f23", "rawhide"]
    (_, f23), (_, rawhide) = composes.rows
    assert f23[0] is None and f23[1] is not None and f23[1].tone == "failed"
    assert f23[1].link is None and f23[1].link_host is None  # an unsafe link is not served
    assert [tile and tile.tone for tile in rawhide] == ["running", "done"]
    assert rawhide[1] is not None and rawhide[1].link == KOJI
    assert rawhide[1].link_host == "kojipkgs.fedoraproject.org"


def test_a_category_without_a_slash_is_a_row_of_one_column(laid_out):
    releases = laid_out["Atomic releases"]
    assert releases.columns == [""]
    assert [(key, [tile and tile.status for tile in cells]) for key, cells in releases.rows] == [
        ("two-week", ["released"])
    ]
    pushes = laid_out["Update pushes"]  # prefix "updates-": row "push" or "sync", column the repo or release
    assert pushes.columns == ["23", "f23-updates"]
    assert [(key, [tile and tile.status for tile in cells]) for key, cells in pushes.rows] == [
        ("push", [None, "pushed"]),
        ("sync", ["synced", None]),
    ]


def test_a_group_without_events_is_empty(laid_out):
    uploads = laid_out["Cloud image uploads"]
    assert uploads.tiles == [] and uploads.columns == [] and uploads.rows == []


@pytest.mark.parametrize(
    "keys, expected",
    [
        (["rawhide", "23_TC10", "23", "22", "23_TC9", "3"], ["3", "22", "23", "23_TC9", "23_TC10", "rawhide"]),
        (["f9-updates", "f23-updates", "F10-updates", "epel7"], ["epel7", "f9-updates", "F10-updates", "f23-updates"]),
        (["", "x86_64", "armhfp"], ["", "armhfp", "x86_64"]),
    ],
)
def test_natural_order_compares_numbers_as_numbers(keys, expected):
    assert sorted(keys, key=board.natural) == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("rawhide/x86_64", ("rawhide", "x86_64")),
        ("fedora-atomic/f23/x86_64/docker-host", ("fedora-atomic/f23/x86_64", "docker-host")),
        ("two-week", ("two-week", "")),
        ("/odd", ("/odd", "")),
    ],
)
def test_a_name_splits_at_its_last_slash(name, expected):
    assert board.split_name(name) == expected

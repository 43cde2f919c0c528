"""The board: cells laid out by the layout's parts, and what each tile derives from its newest marks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, insert

from statscache.plugins.builtin.releng import RelengDashboard
from statscache.web import board

T0 = datetime(2016, 3, 1, 12, 0, tzinfo=UTC)
NOW = (T0 + timedelta(hours=30)).timestamp()


def mark(category, phase, minutes, status=None, run=None, link=None, detail=None, msg_id=None):
    return {
        "category": category,
        "phase": phase,
        "timestamp": T0 + timedelta(minutes=minutes),
        "msg_id": msg_id or f"{category}-{phase}-{minutes}",
        "status": status or phase,
        "run": run,
        "link": link,
        "detail": detail,
    }


def laid_out(rows, now=NOW):
    plugin = RelengDashboard()
    engine = create_engine("sqlite://")
    plugin.model.__table__.create(engine)
    with engine.begin() as connection:
        connection.execute(insert(plugin.model.__table__), rows)
    with engine.connect() as connection:
        found = {group.id: group for group in board.groups(connection, plugin, now)}
    engine.dispose()
    return found


def tile(group, row, column):
    for key, cells in group.rows:
        if key == row:
            return cells[group.columns.index(column)]
    raise AssertionError(f"no row {row}")


def test_composes_are_rows_of_branch_and_arch_by_stage_in_the_layouts_order():
    rows = [
        mark(f"compose/{branch}/{arch}/{stage}", "succeeded", 10)
        for branch in ("rawhide", "24", "Fedora-Rawhide")
        for arch in ("s390", "primary", "arm")
        for stage in ("rsync", "image", "mash", "compose", "pungify")
    ]
    rows.append(mark("compose/rawhide/primary", "succeeded", 10))  # too few parts for the group: left out
    composes = laid_out(rows)["composes"]
    assert composes.columns == ["mash", "pungify", "rsync", "compose", "image"]  # the layout's order, then the rest
    keys = [key for key, _ in composes.rows]
    assert keys[:3] == ["24/primary", "24/arm", "24/s390"]  # primary first, then natural order
    assert keys[-3:] == ["rawhide/primary", "rawhide/arm", "rawhide/s390"]
    assert len(composes.tiles) == 45


def test_a_running_stage_shows_its_start_and_the_last_run_before_it():
    composes = laid_out(
        [
            mark("compose/rawhide/primary/mash", "started", 0, run=None),
            mark("compose/rawhide/primary/mash", "succeeded", 95),
            mark("compose/rawhide/arm/mash", "started", 100),
            mark("compose/rawhide/arm/mash", "succeeded", 60),
        ]
    )["composes"]
    done, running = tile(composes, "rawhide/primary", "mash"), tile(composes, "rawhide/arm", "mash")
    assert (done.state, done.duration, done.latest.phase) == ("succeeded", 95 * 60, "succeeded")
    assert (running.state, running.duration, running.ended.phase) == ("started", None, "succeeded")


def test_an_end_at_the_same_second_as_a_start_comes_after_it():
    composes = laid_out(
        [
            mark("compose/rawhide/primary/rsync", "succeeded", 5, msg_id="a"),
            mark("compose/rawhide/primary/rsync", "started", 5, msg_id="z"),
        ]
    )["composes"]
    assert tile(composes, "rawhide/primary", "rsync").state == "succeeded"


def test_a_duration_pairs_a_start_and_an_end_of_the_same_run_only():
    composes = laid_out(
        [
            mark("compose/Fedora-Rawhide/all/compose", "started", 0, run="Fedora-Rawhide-20160301.n.0"),
            mark("compose/Fedora-Rawhide/all/compose", "failed", 30, "DOOMED", run="Fedora-Rawhide-20160301.n.0"),
            mark(
                "compose/Fedora-Rawhide/all/compose", "succeeded", -600, "FINISHED", run="Fedora-Rawhide-20160229.n.0"
            ),
            mark("compose/Fedora-24/all/compose", "started", 0, run="Fedora-24-20160301.n.0"),
            mark("compose/Fedora-24/all/compose", "succeeded", 30, "FINISHED", run="Fedora-24-20160228.n.0"),
        ]
    )["composes"]
    rawhide = tile(composes, "Fedora-Rawhide/all", "compose")
    assert (rawhide.state, rawhide.duration) == ("failed", 1800)
    assert (
        rawhide.succeeded.status == "FINISHED" and rawhide.failed.status == "DOOMED"
    )  # the newest of each, side by side
    assert tile(composes, "Fedora-24/all", "compose").duration is None  # that end is of another run


def test_an_image_tile_lists_the_regions_of_its_newest_upload_and_its_latest_attempt():
    new, old = "Fedora-Cloud-Base-24-20160302.0.x86_64", "Fedora-Cloud-Base-24-20160301.0.x86_64"
    prefix = "image-upload/Fedora-Cloud-Base/24/x86_64"
    uploads = laid_out(
        [
            mark(f"{prefix}/us-east-1", "succeeded", 60, "completed", run=new, detail='{"ami": "ami-1"}'),
            mark(f"{prefix}/eu-west-1", "succeeded", 62, "completed", run=new),
            mark(f"{prefix}/ap-south-1", "succeeded", 10, "completed", run=old),
            mark(f"{prefix}/ap-south-1", "failed", 70, "failed", run=new),  # the latest attempt
        ]
    )["image-uploads"]
    assert uploads.columns == ["24"] and [key for key, _ in uploads.rows] == ["Fedora-Cloud-Base/x86_64"]
    found = tile(uploads, "Fedora-Cloud-Base/x86_64", "24")
    assert found.succeeded.run == new and found.state == "failed" and found.latest.msg_id.endswith("failed-70")
    assert {item.name: item.current for item in found.items} == {
        "ap-south-1": False,
        "eu-west-1": True,
        "us-east-1": True,
    }
    assert [item.name for item in found.items] == ["ap-south-1", "eu-west-1", "us-east-1"]
    assert found.items[2].succeeded.detail == {"ami": "ami-1"}


def test_a_tile_is_stale_after_its_groups_time():
    composes = laid_out([mark("compose/rawhide/primary/mash", "succeeded", 0)], now=NOW)["composes"]
    assert tile(composes, "rawhide/primary", "mash").stale  # 30 hours old
    fresh = laid_out([mark("compose/rawhide/primary/mash", "succeeded", 0)], now=T0.timestamp() + 3600)["composes"]
    assert not tile(fresh, "rawhide/primary", "mash").stale


def test_a_group_without_columns_is_one_column_and_an_empty_group_is_empty():
    found = laid_out([mark("atomic/two-week", "succeeded", 0, "complete")])
    assert found["atomic"].columns == [""] and [key for key, _ in found["atomic"].rows] == ["two-week"]
    assert found["ostree"].rows == [] and found["ostree"].tiles == []


def test_stored_links_are_checked_again_as_the_board_is_served():
    uploads = laid_out(
        [
            mark(
                "task/image/Fedora-Cloud-Base/24/x86_64",
                "succeeded",
                0,
                link="javascript:alert(1)",
                run="7",
                detail='{"links": ["https://kojipkgs.fedoraproject.org/work/tasks/7/7/a.qcow2", "https://evil.example/x"]}',
            ),
        ]
    )["image-tasks"]
    found = tile(uploads, "image/Fedora-Cloud-Base", "24")
    assert found.latest.link is None
    assert found.succeeded.files == ["https://kojipkgs.fedoraproject.org/work/tasks/7/7/a.qcow2"]


@pytest.mark.parametrize(
    "key, expected",
    [("22", "23"), ("23", "23_TC10"), ("23_TC9", "23_TC10"), ("f23-updates", "rawhide")],
)
def test_natural_order(key, expected):
    assert board.natural(key) < board.natural(expected)

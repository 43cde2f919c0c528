"""The pages in a real headless Chromium, against ``statscache-web`` serving a database the real pipeline fills.

Every test ends with the browser's console free of errors; every page is kept as a
screenshot in ``tests/artifacts/``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from selenium.webdriver.common.by import By

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.web.templating import utc
from tests.fakes.releng_traffic import month
from tests.fakes.support import EPOCH, recorded_envelopes, recount
from tests.services.browser import Browser
from tests.services.hub import free_port, wait_for

pytestmark = pytest.mark.integration

WEB = str(Path(sys.executable).with_name("statscache-web"))
#: The API requests a page has made so far (the browser's resource timing).
API_REQUESTS = "return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')).length"


class Site:
    """``statscache-web`` over a SQLite database, and the pipeline that writes it (as the daemon would)."""

    def __init__(self, folder: Path, envelopes: list[dict] | None = None) -> None:
        self.database = folder / "stats.sqlite"
        config = Config(sqlalchemy_uri=f"sqlite:///{self.database}", consumer_epoch=EPOCH)
        self.pipeline = Pipeline.open(config, registry.load(config))
        self.envelopes = recorded_envelopes() if envelopes is None else envelopes
        for envelope in self.envelopes:
            self.pipeline.handle(envelope)
        assert self.pipeline.flush()
        conf = folder / "statscache.toml"
        conf.write_text(
            f'[consumer_config]\n"statscache.sqlalchemy.uri" = "sqlite:///{self.database}"\n'
            '"statscache.consumer.epoch" = 2015-01-01T00:00:00Z\n'
        )
        self.port = free_port()
        self.log = (folder / "web.log").open("wb")
        self.process = subprocess.Popen(
            [WEB, "--conf", str(conf), "--port", str(self.port)], cwd=folder, stdout=self.log, stderr=self.log
        )
        self.base = f"http://127.0.0.1:{self.port}"
        up = lambda: urllib.request.urlopen(f"{self.base}/api/", timeout=5).status == 200  # noqa: E731
        try:
            wait_for(up, 60, "statscache-web", self.process)
        except BaseException:
            self.close()
            raise

    def add(self, envelope: dict) -> None:
        """One more message, counted and flushed: what the daemon does live."""
        self.envelopes.append(envelope)
        self.pipeline.handle(envelope)
        assert self.pipeline.flush()

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return response.read()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(20)
        self.log.close()
        self.pipeline.engine.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("site"))
    yield made
    made.close()


@pytest.fixture(scope="module")
def releng_site(tmp_path_factory):
    """A week of release engineering's traffic ending now (tests/fakes/releng_traffic.py)."""
    made = Site(tmp_path_factory.mktemp("releng"), month(time.time(), seed=2016, days=7))
    yield made
    made.close()


@pytest.fixture(scope="module")
def browser():
    with Browser() as made:
        yield made


@pytest.fixture
def page(browser, site):
    """Opens a page; afterwards, insists the console stayed free of errors."""
    browser.console_errors()  # what earlier tests left

    def open_page(path: str):
        browser.driver.get(site.base + path)
        return browser.driver

    yield open_page
    assert browser.console_errors() == []


def page_info(driver):
    return driver.find_element(By.ID, "page-info").text


def css(driver, selector):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def test_the_overview_draws_a_chart_per_plugin_with_data_and_filters_cards(page, browser, site):
    driver = page("/")
    cards = css(driver, "#cards .card")
    assert len(cards) == len(registry.load(Config(consumer_epoch=EPOCH)))
    with_data = css(driver, "#cards .card .spark")
    assert with_data
    browser.wait(lambda d: len(css(d, ".spark canvas")) == len(with_data))
    assert driver.execute_script(API_REQUESTS) == 0  # its charts come with the page
    browser.screenshot("overview")
    driver.find_element(By.ID, "card-filter").send_keys("pagure")
    shown = [card for card in cards if card.is_displayed()]
    assert shown and all("pagure" in card.get_attribute("data-name") for card in shown)
    assert driver.find_element(By.ID, "card-count").text == f"{len(shown)} of {len(cards)} statistics"


def test_the_chart_draws_one_point_per_window_of_the_range(page, browser, site):
    driver = page("/plugins/volume-1h")
    browser.wait(lambda d: "Updated" in d.find_element(By.ID, "status").text)
    assert driver.execute_script(API_REQUESTS) == 2  # the chart's series and a page of rows, whatever the data
    browser.screenshot("plugin")
    driver.find_element(By.CSS_SELECTOR, "#chart-numbers summary").click()  # the numbers behind the chart
    browser.wait(lambda d: len(browser.cells("#numbers tbody tr")) > 0)
    # Last day: 24 hourly windows up to the newest one, each the recount of its hour.
    counts = {window: volume for (window, _), volume in recount(site.envelopes, "volume-1h").items()}
    newest = max(counts)
    expected = [counts.get(newest - 3600 * back, 0) for back in range(23, -1, -1)]
    rows = browser.cells("#numbers tbody tr")
    assert len(rows) == 24
    assert [int(cells[1]) for cells in rows] == expected
    assert css(driver, "#chart canvas")  # and uPlot drew it
    points = driver.execute_script("return document.querySelector('#chart .u-over') !== null")
    assert points


def test_the_table_pages_and_sorts(page, browser, site):
    driver = page("/plugins/volume-by-category-1h")
    driver.find_element(By.CSS_SELECTOR, "#range option[value='month']").click()
    # The month's rows, not the day's the page opened with: more than a page of them.
    browser.wait(lambda d: "range=month" in d.current_url and re.search(r"Page 1 of [2-9]", page_info(d)))
    first = browser.cells("#rows tbody tr")
    assert len(first) == 25
    driver.find_element(By.ID, "next").click()
    browser.wait(lambda d: d.find_element(By.ID, "page-info").text.startswith("Page 2 of"))
    second = browser.cells("#rows tbody tr")
    assert second and not {tuple(row) for row in second} & {tuple(row) for row in first}
    driver.find_element(By.CSS_SELECTOR, "button[data-sort='volume']").click()
    browser.wait(
        lambda d: d.find_element(By.CSS_SELECTOR, "th:nth-child(3)").get_attribute("aria-sort") == "descending"
    )
    browser.wait(lambda d: d.find_element(By.ID, "page-info").text.startswith("Page 1 of"))
    volumes = [int(cells[2]) for cells in browser.cells("#rows tbody tr")]
    assert volumes == sorted(volumes, reverse=True)
    browser.screenshot("plugin-table")


def test_the_latest_message_of_each_topic_shows_its_users_and_age(page, browser, site):
    driver = page("/plugins/latest-by-topic")
    driver.find_element(By.CSS_SELECTOR, "#range option[value='month']").click()
    browser.wait(lambda d: "range=month" in d.current_url and re.search(r"\(\d+ rows\)", page_info(d)))
    headers = [th.text for th in css(driver, "#rows thead th")]
    assert headers == ["topic", "category", "timestamp", "msg_id", "users", "link", "age_seconds"]
    # Computed as the row is served: the API cannot order by them, so the page offers no button.
    assert [b.get_attribute("data-sort") for b in css(driver, "#rows thead th button")] == headers[:5]
    rows = browser.cells("#rows tbody tr")
    topics = {envelope["topic"] for envelope in site.envelopes}
    assert rows and {row[0] for row in rows} <= topics
    assert all(float(row[6]) > 3600 * 24 * 365 for row in rows)  # the sample is from 2015
    browser.screenshot("latest-by-topic")


def test_the_top_categories_of_the_range_shown(page, browser, site):
    driver = page("/plugins/volume-by-category-1h")
    driver.find_element(By.CSS_SELECTOR, "#range option[value='month']").click()
    browser.wait(lambda d: "range=month" in d.current_url and browser.cells("#ranking-table tbody tr"))
    assert driver.find_element(By.CSS_SELECTOR, "#ranking h2").text == "Top categories of the range shown"
    shown = browser.cells("#ranking-table tbody tr")
    # The range shown is the chart's, as the download links carry it.
    given = dict(parse_qsl(urlsplit(driver.find_element(By.ID, "download-csv").get_attribute("href")).query))
    answer = json.loads(site.get(f"/api/volume-by-category-1h/top?start={given['start']}&stop={given['stop']}"))
    assert shown == [
        [str(rank), item["category"], str(item["volume"]), f"{100 * item['share']:.1f}%"]
        for rank, item in enumerate(answer, start=1)
    ]
    assert shown[0][1] == "autocloud"
    browser.screenshot("plugin-ranking")


def test_a_download_link_returns_the_rows_shown(page, browser, site):
    driver = page("/plugins/volume-by-category-1d")
    driver.find_element(By.CSS_SELECTOR, "#range option[value='month']").click()
    browser.wait(lambda d: "Page 1 of" in d.find_element(By.ID, "page-info").text)
    href = driver.find_element(By.ID, "download-csv").get_attribute("href")
    assert href.startswith(site.base + "/api/volume-by-category-1d?")
    downloaded = list(csv.DictReader(io.StringIO(urllib.request.urlopen(href, timeout=10).read().decode())))
    total = int(driver.find_element(By.ID, "page-info").text.split("(")[1].split()[0])
    assert len(downloaded) == total
    query = dict(parse_qsl(urlsplit(href).query))
    from_api, page_number = [], 1
    while batch := json.loads(
        site.get(
            f"/api/volume-by-category-1d?start={query['start']}&stop={query['stop']}&rows_per_page=100&page={page_number}"
        )
    ):
        from_api += batch
        page_number += 1
    assert [(int(row["timestamp"]), row["category"], int(row["volume"])) for row in downloaded] == [
        (row["timestamp"], row["category"], row["volume"]) for row in from_api
    ]
    shown = browser.cells("#rows tbody tr")
    # The table's first page is the download's first rows (newest first), row for row.
    assert [(cells[1], int(cells[2])) for cells in shown] == [
        (row["category"], int(row["volume"])) for row in downloaded[: len(shown)]
    ]
    json_href = driver.find_element(By.ID, "download-json").get_attribute("href")
    as_json = json.loads(urllib.request.urlopen(json_href, timeout=10).read())
    assert [(row["category"], row["volume"]) for row in as_json] == [
        (row["category"], int(row["volume"])) for row in downloaded
    ]


def test_live_refresh_shows_a_row_flushed_while_the_page_is_open(page, browser, site):
    page("/plugins/volume-1h")
    browser.wait(lambda d: "refreshing every" in d.find_element(By.ID, "status").text)
    newest = max(envelope["timestamp"] for envelope in site.envelopes)
    later = (int(newest) // 3600 + 1) * 3600 + 60  # the next hour: a row the page has not shown
    site.add({**site.envelopes[0], "msg_id": "2015-live-refresh", "timestamp": later})
    stamp = time.strftime("%Y-%m-%d %H:00 UTC", time.gmtime(later))
    browser.wait(lambda d: browser.cells("#rows tbody tr")[0][0] == stamp, timeout=30)
    browser.screenshot("plugin-live")


def test_live_refresh_stops_while_the_tab_is_hidden(page, browser, site):
    driver = page("/plugins/volume-1d")
    browser.wait(lambda d: "refreshing every" in d.find_element(By.ID, "status").text)
    driver.execute_script(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'));"
    )
    assert driver.find_element(By.ID, "status").text == "Paused while this tab is hidden."
    before = driver.execute_script(API_REQUESTS)
    time.sleep(6.5)  # more than one refresh interval
    assert driver.execute_script(API_REQUESTS) == before
    driver.execute_script(
        "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'));"
    )
    browser.wait(lambda d: d.execute_script(API_REQUESTS) > before)  # shown again: it reads at once


TONES = {"started": "running", "succeeded": "done", "failed": "failed"}


def board_tile(driver, group: str, tile: dict):
    section = driver.find_element(By.ID, f"group-{group}")
    return section.find_element(By.CSS_SELECTOR, f'td.tile[data-row="{tile["row"]}"][data-column="{tile["column"]}"]')


def newest_mark(tile: dict) -> dict:
    return max((tile[phase] for phase in ("started", "succeeded", "failed") if tile[phase]), key=lambda m: m["time"])


def test_the_board_draws_every_tile_the_board_api_serves(page, browser, site):
    driver = page("/releng")
    served = json.loads(site.get("/api/releng-dashboard/board"))
    drawn = 0
    for group in served["groups"]:
        assert len(css(driver, f"#group-{group['id']} td.tile")) == len(group["tiles"])
        for tile in group["tiles"]:
            cell = board_tile(driver, group["id"], tile)
            latest = newest_mark(tile)
            assert TONES[tile["state"]] in cell.get_attribute("class").split()
            assert cell.find_element(By.CLASS_NAME, "tile-status").text == latest["status"]
            when = datetime.fromtimestamp(latest["time"], tz=UTC)
            assert cell.find_element(By.TAG_NAME, "time").text == utc(when)  # the absolute time stays shown
            assert cell.find_element(By.CSS_SELECTOR, ".ago[data-ago]").get_attribute("data-ago") == when.isoformat()
            if len(tile["items"]) > 1:  # an image's regions, each with its state
                listed = css(cell, ".tile-items li")
                assert [li.get_attribute("data-item") for li in listed] == [item["name"] for item in tile["items"]]
            drawn += 1
    assert drawn >= 10
    # The image tests: a table of images by release, each tile in the row and column its cell names.
    grid = driver.execute_script(
        "var table = document.querySelector('#group-image-tests table.board');"
        "var columns = Array.from(table.tHead.rows[0].cells).slice(1).map(c => c.textContent);"
        "return {columns: columns, cells: Array.from(table.tBodies[0].rows).flatMap(r => Array.from(r.cells).slice(1)"
        "  .map((c, i) => [r.cells[0].textContent, columns[i],"
        "                  c.getAttribute('data-row'), c.getAttribute('data-column')]))};"
    )
    assert len(grid["columns"]) > 1
    placed = [(row, column, r, c) for row, column, r, c in grid["cells"] if r is not None]
    tests = next(group for group in served["groups"] if group["id"] == "image-tests")
    assert len(placed) == len(tests["tiles"]) and all((row, column) == (r, c) for row, column, r, c in placed)
    browser.screenshot("releng-2015")


def test_a_week_of_release_engineering_on_the_board(browser, releng_site):
    browser.console_errors()
    browser.driver.get(releng_site.base + "/releng")
    driver = browser.driver
    served = {group["id"]: group for group in json.loads(releng_site.get("/api/releng-dashboard/board"))["groups"]}
    stages = [th.text for th in css(driver, "#group-composes thead th")]
    assert stages[:4] == ["mash", "pungify", "rsync", "compose"] and stages == served["composes"]["columns"]
    assert [th.text for th in css(driver, "#group-composes tbody th")][:2] == ["24/primary", "24/arm"]
    for group in served.values():
        for tile in group["tiles"]:
            cell = board_tile(driver, group["id"], tile)
            assert TONES[tile["state"]] in cell.get_attribute("class").split()
            assert ("stale" in cell.get_attribute("class").split()) == tile["stale"]
            if tile["state"] != "started" and tile["duration"] is not None:
                assert cell.find_element(By.CLASS_NAME, "tile-took").text.startswith("took ")
    # An image's regions: those holding its newest image are current, each with a link that launches it.
    uploads = served["image-uploads"]["tiles"]
    tile = max(uploads, key=lambda tile: len(tile["items"]))
    listed = css(board_tile(driver, "image-uploads", tile), ".tile-items li")
    assert [li.get_attribute("class") for li in listed] == [
        "current" if i["current"] else "older" for i in tile["items"]
    ]
    launch = [a.get_attribute("href") for li in listed for a in li.find_elements(By.TAG_NAME, "a")]
    assert launch and all(
        href.startswith("https://redirect.fedoraproject.org/console.aws.amazon.com/") for href in launch
    )
    # A closed koji task links to the files it made.
    closed = next(t for t in served["image-tasks"]["tiles"] if t["state"] == "succeeded" and t["succeeded"]["detail"])
    files = css(board_tile(driver, "image-tasks", closed), ".tile-files a")
    assert [a.get_attribute("href") for a in files] == closed["succeeded"]["detail"]["links"]
    browser.screenshot("releng")
    assert browser.console_errors() == []


def test_the_docs_page_lists_the_api(page, browser):
    driver = page("/docs")
    assert css(driver, "#op-series") and css(driver, "#op-listPlugins")
    browser.screenshot("docs")


def test_an_unknown_plugin_gives_the_friendly_page(browser, site):
    browser.console_errors()
    browser.driver.get(site.base + "/plugins/no-such-thing")
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "No such statistic"
    assert "Back to the overview" in browser.driver.page_source and "Traceback" not in browser.driver.page_source
    browser.screenshot("unknown-plugin")
    # The browser reports the 404 itself, and nothing else.
    assert all("404" in entry["message"] for entry in browser.console_errors())


def test_the_open_board_shows_a_new_event(page, browser, site):
    page("/releng")
    success = next(e for e in site.envelopes if e["topic"].endswith("autocloud.image.success"))
    newest = max(envelope["timestamp"] for envelope in site.envelopes)
    failed = {
        **success,
        "msg_id": "2015-board-refresh",
        "timestamp": newest + 60,
        "topic": success["topic"].replace(".success", ".failed"),
        "msg": {**success["msg"], "status": "failed"},
    }
    site.add(failed)
    tests = next(g for g in json.loads(site.get("/api/releng-dashboard/board"))["groups"] if g["id"] == "image-tests")
    moved = [tile for tile in tests["tiles"] if tile["failed"] and tile["failed"]["msg_id"] == "2015-board-refresh"]
    assert len(moved) == 1 and moved[0]["state"] == "failed" and moved[0]["succeeded"]  # the success kept beside it

    shown_at = datetime.fromtimestamp(failed["timestamp"], tz=UTC).isoformat()

    def tile_failed(d):
        tile = board_tile(d, "image-tests", moved[0])
        when = tile.find_element(By.TAG_NAME, "time")
        # The new event's time: read again since the page opened, and "how long ago" written for it.
        return "failed" in tile.get_attribute("class").split() and when.get_attribute("datetime") == shown_at

    browser.wait(tile_failed, timeout=30)
    browser.screenshot("releng-live")


def test_a_custom_range_is_checked_applied_on_show_and_kept_in_the_address(page, browser, site):
    driver = page("/plugins/volume-1h")
    browser.wait(lambda d: "Updated" in d.find_element(By.ID, "status").text)
    driver.find_element(By.CSS_SELECTOR, "#range option[value='custom']").click()
    start, stop = driver.find_element(By.ID, "start"), driver.find_element(By.ID, "stop")
    assert start.get_attribute("value") and stop.get_attribute("value")  # filled from what is shown
    before = driver.execute_script(API_REQUESTS)
    start.clear()
    start.send_keys("2015-10-27 99:00")
    driver.find_element(By.CSS_SELECTOR, "#custom button").click()
    assert "Write From and To" in driver.find_element(By.ID, "status").text
    assert driver.execute_script(API_REQUESTS) == before  # nothing asked of the server
    start.clear()
    start.send_keys("2015-10-27 06:00")
    stop.clear()
    stop.send_keys("2015-10-27 18:00")
    driver.find_element(By.CSS_SELECTOR, "#custom button").click()
    browser.wait(lambda d: "range=custom" in d.current_url)
    browser.wait(
        lambda d: len(browser.cells("#rows tbody tr")) > 0 and "Updated" in d.find_element(By.ID, "status").text
    )
    caption = driver.find_element(By.ID, "chart-caption").text
    assert caption.startswith("2015-10-27 06:00 UTC to 2015-10-27 18:00 UTC.")
    times = [cells[0] for cells in browser.cells("#rows tbody tr")]
    assert times and all("2015-10-27 06:00 UTC" <= time < "2015-10-27 18:00 UTC" for time in times)
    # The address brings the same view back, and the other windows keep it.
    driver.get(driver.current_url)
    browser.wait(lambda d: d.find_element(By.ID, "chart-caption").text == caption)
    assert driver.find_element(By.ID, "range").get_attribute("value") == "custom"
    assert "range=custom" in driver.find_element(By.LINK_TEXT, "1m").get_attribute("href")


def test_a_statistic_with_nothing_counted_says_so(page, browser, site):
    driver = page("/plugins/build-outcomes-1h")  # the sample has no Koji builds
    browser.wait(lambda d: d.find_element(By.ID, "chart-empty").is_displayed())
    assert driver.find_element(By.ID, "chart-empty").text.startswith("No data yet")
    assert not driver.find_element(By.ID, "chart").is_displayed()
    assert browser.cells("#rows tbody tr") == [["No rows in this range."]]
    browser.screenshot("plugin-no-data")


@pytest.mark.parametrize(
    "path, shot, ready",
    [
        ("/", "overview-phone", ".spark canvas"),
        ("/plugins/volume-by-topic-1h", "plugin-phone", "#chart canvas"),
        ("/releng", "releng-phone", "#board .scroll table.board"),
    ],
)
def test_a_page_fits_a_phone(browser, site, path, shot, ready):
    browser.console_errors()
    browser.driver.set_window_size(390, 844)
    try:
        browser.driver.get(site.base + path)
        browser.wait(lambda d: css(d, ready))
        # Nothing reaches past the screen's edge but inside a box that scrolls on its own (a wide table).
        too_wide = browser.driver.execute_script(
            "return [...document.querySelectorAll('body *')]"
            ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1"
            " && !e.closest('.scroll'))"
            ".map(e => e.outerHTML.slice(0, 100));"
        )
        assert too_wide == []
        assert browser.driver.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        browser.screenshot(shot)
    finally:
        browser.driver.set_window_size(1280, 900)
    assert browser.console_errors() == []

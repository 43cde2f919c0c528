"""The pages for people, through Flask's test client: what they show, that they load nothing from other hosts,
and that errors are pages, never a trace."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from statscache.config import Config
from statscache.plugins import registry
from statscache.plugins.builtin.releng import RelengDashboard
from statscache.web import create_app
from statscache.web.board import natural
from statscache.web.pages import ranges_for
from tests.fakes.support import EPOCH, get_json, recorded_envelopes, recount
from tests.fakes.webapp import make_client

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    made, dispose = make_client(tmp_path_factory.mktemp("pages") / "stats.sqlite")
    yield made
    dispose()


@pytest.fixture
def empty(tmp_path):
    """An app whose daemon has not created its database yet."""
    config = Config(sqlalchemy_uri=f"sqlite:///{tmp_path / 'none.sqlite'}", consumer_epoch=EPOCH)
    return create_app(config, plugins=registry.load(config)).test_client()


class Page(HTMLParser):
    """What a page loads and links to, and its elements' attributes by id."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.cards: list[dict[str, str | None]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag in ("script", "img", "iframe") and found.get("src"):
            self.loads.append(found["src"])
        if tag == "link":
            self.loads.append(found.get("href") or "")
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])
        if found.get("id"):
            self.by_id[found["id"]] = found
        if tag == "li" and "card" in (found.get("class") or "").split():
            self.cards.append(found)
        if "style" in found:
            raise AssertionError(f"inline style on <{tag}>: the pages' Content-Security-Policy forbids it")
        if tag == "script" and not found.get("src"):
            raise AssertionError("an inline script: the pages' Content-Security-Policy forbids it")


def page(client, url):
    response = client.get(url, headers=HTML)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True)), response


def test_the_overview_has_a_card_per_plugin_and_loads_only_its_own_files(client):
    parsed, response = page(client, "/")
    plugins = client.application.extensions["statscache"].plugins
    shown = [card["data-name"].split()[-1] for card in parsed.cards]
    assert sorted(shown) == sorted(plugins)
    # Cards with a chart come first: what there is to see.
    charted = ['class="spark"' in chunk for chunk in response.get_data(as_text=True).split('<li class="card"')[1:]]
    assert any(charted) and not all(charted) and charted == sorted(charted, reverse=True)
    assert parsed.loads and all(url.startswith("/static/") for url in parsed.loads)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    for url in parsed.loads:  # every file it loads is served, the chart library included
        assert client.get(url).status_code == 200, url


def test_a_sparkline_is_the_recount_of_the_plugins_last_windows(client):
    text = client.get("/", headers=HTML).get_data(as_text=True)
    found = re.search(r'data-name="volume volume-1h">.*?data-series="([^"]+)"', text, re.S)
    spark = json.loads(found.group(1).replace("&#34;", '"'))
    counts = {window: volume for (window, _), volume in recount(recorded_envelopes(), "volume-1h").items()}
    assert len(spark["times"]) == 60 and spark["step"] == 3600
    assert spark["lines"][0]["values"] == [counts.get(time, 0) for time in spark["times"]]
    assert max(counts) == spark["times"][-1]  # it ends with the newest window


def test_a_plugin_page_names_its_api_its_windows_and_its_gaps(client):
    parsed, response = page(client, "/plugins/volume-by-category-1h")
    text = response.get_data(as_text=True)
    statistic = parsed.by_id["statistic"]
    assert statistic["data-series-url"] == "/api/volume-by-category-1h/series"
    assert statistic["data-rows-url"] == "/api/volume-by-category-1h"
    assert statistic["data-split"] == "category"
    assert [column["name"] for column in json.loads(statistic["data-columns"])] == ["timestamp", "category", "volume"]
    assert {"/plugins/volume-by-category-1m", "/plugins/volume-by-category-1d"} <= set(parsed.links)
    assert "datagrepper answered 502" in text  # the gap's reason (tests.fakes.webapp notes one)


def test_the_board_page_draws_every_tile_the_board_api_serves(client):
    text = client.get("/releng", headers=HTML).get_data(as_text=True)
    served = get_json(client, "/api/releng-dashboard/board")
    assert served["layout"] == RelengDashboard.layout and served["title"] == "Release engineering"
    drawn = 0
    for group in served["groups"]:
        section = text[text.index(f'id="group-{group["id"]}"') :].split("</section>")[0]
        assert f"<h2>{group['title']}</h2>" in section
        for found in group["tiles"]:
            cell = re.search(
                rf'data-row="{re.escape(found["row"])}" data-column="{re.escape(found["column"])}" '
                rf'data-state="{found["state"]}">(.*?)</td>',
                section,
                re.S,
            )
            assert cell is not None, found
            latest = max(
                (mark for phase in ("started", "succeeded", "failed") if (mark := found[phase])),
                key=lambda mark: mark["time"],
            )
            assert f'<span class="tile-status">{latest["status"]}</span>' in cell.group(1)
            when = datetime.fromtimestamp(latest["time"], tz=UTC).isoformat()
            assert f'<time datetime="{when}">' in cell.group(1)
            if latest["link"]:
                assert f'rel="noopener noreferrer">{urlsplit(latest["link"]).hostname}</a>' in cell.group(1)
            drawn += 1
    assert drawn >= 10
    # The image tests: a grid of images by release, releases in natural order.
    images = text[text.index("<h2>Cloud image tests</h2>") :].split("</table>")[0]
    columns = re.findall(r'<th scope="col">(.*?)</th>', images)
    assert columns == sorted(columns, key=natural) and {"22", "23", "rawhide"} <= set(columns)
    families = re.findall(r'<th scope="row">(.*?)</th>', images)
    assert families == sorted(families, key=natural) and "Fedora-Cloud-Atomic-Vagrant-Libvirt" in families
    assert '<td class="no-tile"></td>' in images  # an image not tested on some release


def test_the_docs_describe_every_path_of_the_openapi_document(client):
    text = client.get("/docs", headers=HTML).get_data(as_text=True)
    document = get_json(client, "/api/openapi.json")
    general_with_parameters = 0
    for path, methods in document["paths"].items():
        assert f"<code>{path}</code>" in text
        for operation in methods.values():
            assert f'id="op-{operation["operationId"]}"' in text
            for parameter in operation.get("parameters", []):
                assert f"<code>{parameter['name']}</code>" in text
            if operation["operationId"].startswith("statistics_"):  # a row linking to the plugin's page
                assert f'<a href="/plugins/{path.removeprefix("/api/")}"><code>{path}</code></a>' in text
            elif operation.get("parameters"):
                general_with_parameters += 1
    # The statistics' parameters are listed once for every plugin, not once per plugin.
    assert text.count('<table class="params') == general_with_parameters + 1
    assert text.count("<code>rows_per_page</code>") == 1
    assert "only for statistics with a category" in text and "a column of the statistic" in text
    # An ident parameter counts the idents instead of listing them all.
    idents = len(get_json(client, "/api/"))
    assert f"one of the {idents} idents listed by /api/" in text


def test_an_unknown_plugin_is_a_friendly_page(client):
    response = client.get("/plugins/nope", headers=HTML)
    assert response.status_code == 404 and response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert "No such statistic" in text and "Traceback" not in text and "Back to the overview" in text
    assert 'href="/plugins/volume-by-category-1h"' in text  # what there is instead
    api = client.get("/api/nope", headers=HTML)  # the API answers JSON, whatever the client takes
    assert api.status_code == 404 and api.mimetype == "application/json"


@pytest.mark.parametrize("url", ["/", "/plugins/volume-1h", "/releng", "/docs"])
def test_pages_before_the_database_exists_say_so_instead_of_failing(empty, url):
    response = empty.get(url, headers=HTML)
    assert response.status_code == 200 and response.mimetype == "text/html"
    if url == "/":
        assert "No data yet." in response.get_data(as_text=True)
    if url == "/plugins/volume-1h":
        series = empty.get("/api/volume-1h/series")
        assert series.status_code == 200 and series.get_json()["latest"] is None


def test_rows_sorted_by_a_column_page_through_every_row_in_that_order(client):
    ident = "volume-by-category-1h"
    rows, page_number = [], 1
    while True:
        answer = client.get(f"/api/{ident}?sort=volume&order=asc&rows_per_page=7&page={page_number}")
        if not answer.get_json():
            break
        rows += answer.get_json()
        page_number += 1
    expected = recount(recorded_envelopes(), ident)
    assert sorted(((r["timestamp"], r["category"]), r["volume"]) for r in rows) == sorted(expected.items())
    assert [row["volume"] for row in rows] == sorted(row["volume"] for row in rows)


@pytest.mark.parametrize(
    "ident, offered, first",
    [
        ("volume-1m", ["hour", "day", "week", "month"], "hour"),
        ("volume-1h", ["day", "week", "month"], "day"),
        ("volume-1d", ["week", "month"], "month"),
        ("releng-dashboard", ["day", "week", "month"], "day"),
    ],
)
def test_a_plugin_page_offers_ranges_of_two_windows_or_more_and_starts_with_a_days_worth(client, ident, offered, first):
    plugin = client.application.extensions["statscache"].plugins[ident]
    ranges, chosen = ranges_for(plugin)
    assert [name for name, *_ in ranges] == offered and chosen == first
    parsed, _ = page(client, f"/plugins/{ident}")
    assert f'<option value="{first}" data-seconds=' in client.get(f"/plugins/{ident}", headers=HTML).get_data(
        as_text=True
    )


def test_every_page_says_when_the_daemon_has_not_written_its_database(empty, client):
    assert "has not written its database" in empty.get("/", headers=HTML).get_data(as_text=True)
    assert "has not written its database" not in client.get("/", headers=HTML).get_data(as_text=True)

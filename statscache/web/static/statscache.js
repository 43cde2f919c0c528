// statscache's pages: charts (uPlot), the overview's filter, a plugin page's table, downloads and live refresh.
// Everything is read from the API of the same server; nothing comes from another host. Every time is UTC.
(function () {
  "use strict";

  // Okabe–Ito, less its yellow (too faint on white): told apart with every common kind of colour blindness.
  // Lines past the seventh are dashed too.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"];
  var ROWS_PER_PAGE = 25;
  var UNITS = [["year", 365.25 * 86400], ["month", 30.44 * 86400], ["day", 86400], ["hour", 3600], ["minute", 60]];

  function lineStyle(index, other) {
    if (other) return { stroke: "#888888", dash: [4, 4], width: 1.5 };
    var style = { stroke: PALETTE[index % PALETTE.length], width: 2 };
    if (index >= PALETTE.length) style.dash = [8, 3];
    return style;
  }

  function plural(n, unit) {
    return n + " " + unit + (n === 1 ? "" : "s");
  }

  // "3 hours ago": the largest unit that fits.
  function ago(seconds) {
    for (var i = 0; i < UNITS.length; i++) {
      var n = Math.floor(seconds / UNITS[i][1]);
      if (n >= 1) return plural(n, UNITS[i][0]) + " ago";
    }
    return "just now";
  }

  // A length of time as people say it: "2 hours", "1 day", "90 seconds".
  function duration(seconds) {
    var exact = [["day", 86400], ["hour", 3600], ["minute", 60]];
    for (var i = 0; i < exact.length; i++) {
      if (seconds % exact[i][1] === 0) return plural(seconds / exact[i][1], exact[i][0]);
    }
    return plural(seconds, "second");
  }

  // Every element with data-ago="<ISO time>" says how long ago that was; kept current.
  function refreshAgo() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-ago]").forEach(function (el) {
      var when = Date.parse(el.getAttribute("data-ago") || el.getAttribute("datetime")) / 1000;
      if (!isNaN(when)) el.textContent = "(" + ago(Math.max(0, now - when)) + ")";
    });
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // "2015-10-28 12:00 UTC" (seconds only when there are some), as the server writes times.
  function utc(seconds) {
    var d = new Date(seconds * 1000);
    var text = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    if (d.getUTCSeconds()) text += ":" + pad(d.getUTCSeconds());
    return text + " UTC";
  }

  // "2015-10-28 12:00" typed in a From/To box, read as UTC; NaN when it is not a time.
  function parseUTC(text) {
    var match = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?\s*$/.exec(text);
    if (!match) return NaN;
    var seconds = Date.UTC(+match[1], +match[2] - 1, +match[3], +(match[4] || 0), +(match[5] || 0)) / 1000;
    // Date.UTC carries 99:00 into the next days: a time that does not read back the same is no time.
    var written = match[1] + "-" + match[2] + "-" + match[3] + " " + (match[4] || "00") + ":" + (match[5] || "00");
    return utc(seconds).slice(0, 16) === written ? seconds : NaN;
  }

  // The time axis: dates where ticks are days apart, else hours and minutes (with the date at midnight).
  function timeTicks(u, splits, axisIndex, space, increment) {
    return splits.map(function (seconds) {
      var text = utc(seconds).replace(" UTC", "");
      if (increment >= 86400) return text.slice(0, 10);
      var clock = text.slice(11, 16);
      return clock === "00:00" || splits.indexOf(seconds) === 0 ? text.slice(5, 10) + " " + clock : clock;
    });
  }

  // uPlot's data: [times, line values...]; its series: one per line.
  function chartData(found) {
    return [found.times].concat(found.lines.map(function (line) { return line.values; }));
  }

  function chartSeries(found) {
    var dots = found.times.length <= 40; // few points: show each, so that one alone is seen
    return [{ label: "from", value: function (u, v) { return v == null ? "" : utc(v); } }].concat(
      found.lines.map(function (line, index) {
        var style = lineStyle(index, line.other);
        return {
          label: line.name, stroke: style.stroke, dash: style.dash, width: style.width,
          points: { show: dots, size: 5, fill: style.stroke },
        };
      })
    );
  }

  function sparkline(el) {
    var found = JSON.parse(el.getAttribute("data-series"));
    new uPlot({
      width: el.clientWidth || 260,
      height: 64,
      legend: { show: false },
      cursor: { show: false },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: true, range: [found.start, found.stop] }, y: { range: function (u, low, high) { return [0, Math.max(1, high)]; } } },
      series: [{}, { stroke: PALETTE[0], fill: "rgba(0, 114, 178, 0.15)", width: 1.5, points: { show: false } }],
    }, [found.times, found.lines[0].values], el);
  }

  function overview() {
    var input = document.getElementById("card-filter");
    var cards = Array.prototype.slice.call(document.querySelectorAll("#cards .card"));
    document.querySelectorAll(".spark .chart[data-series]").forEach(sparkline);
    if (!input) return;
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().trim();
      var shown = 0;
      cards.forEach(function (card) {
        var match = !words || card.getAttribute("data-name").indexOf(words) !== -1;
        card.hidden = !match;
        if (match) shown++;
      });
      document.getElementById("card-count").textContent = shown + " of " + cards.length + " statistics";
      document.getElementById("no-match").hidden = shown !== 0;
    });
  }

  function timelines() {
    document.querySelectorAll(".timeline .segment[data-share]").forEach(function (el) {
      el.style.width = el.getAttribute("data-share") + "%";
    });
  }

  function query(params) {
    return Object.keys(params)
      .filter(function (key) { return params[key] !== null && params[key] !== undefined && params[key] !== ""; })
      .map(function (key) { return encodeURIComponent(key) + "=" + encodeURIComponent(params[key]); })
      .join("&");
  }

  function fetchJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.detail || body.error || response.statusText);
        return { body: body, total: response.headers.get("X-Total-Count") };
      });
    });
  }

  function cell(tag, text) {
    var el = document.createElement(tag);
    el.textContent = text;
    return el;
  }

  function pluginPage(root) {
    var columns = JSON.parse(root.getAttribute("data-columns"));
    var seriesUrl = root.getAttribute("data-series-url");
    var rowsUrl = root.getAttribute("data-rows-url");
    var ranking = document.getElementById("ranking");
    var rankingUrl = ranking ? ranking.getAttribute("data-top-url") : null;
    var every = parseInt(root.getAttribute("data-refresh"), 10);
    var range = document.getElementById("range");
    var top = document.getElementById("top");
    var custom = document.getElementById("custom");
    var startBox = document.getElementById("start");
    var stopBox = document.getElementById("stop");
    var status = document.getElementById("status");
    var chartEl = document.getElementById("chart");
    var emptyEl = document.getElementById("chart-empty");
    var numbersBox = document.getElementById("chart-numbers");
    var presets = Array.prototype.map.call(range.options, function (option) { return option.value; });
    // What is shown: kept in the address, so that a view can be shared, bookmarked and reloaded.
    var view = { range: range.value, start: null, stop: null, top: top ? top.value : null,
      sort: "timestamp", order: "desc", page: 1 };
    var shown = null; // the last series drawn: its range is the table's and the downloads'
    var chart = null;
    var shape = "";
    var timer = null;
    var loading = false;

    function fromAddress() {
      var given = new URLSearchParams(window.location.search);
      if (presets.indexOf(given.get("range")) !== -1) view.range = given.get("range");
      if (view.range === "custom") {
        view.start = parseFloat(given.get("start"));
        view.stop = parseFloat(given.get("stop"));
        if (isNaN(view.start) || isNaN(view.stop) || view.stop <= view.start) view.range = range.value;
      }
      if (top && given.get("top") !== null && Array.prototype.some.call(top.options, function (o) { return o.value === given.get("top"); })) {
        view.top = given.get("top");
      }
      if (columns.some(function (c) { return c.sortable && c.name === given.get("sort"); })) view.sort = given.get("sort");
      if (given.get("order") === "asc") view.order = "asc";
      view.page = Math.max(1, parseInt(given.get("page"), 10) || 1);
      range.value = view.range;
      if (top) top.value = view.top;
      showCustom();
    }

    function toAddress() {
      var params = { range: view.range, top: view.top, page: view.page > 1 ? view.page : null };
      if (view.sort !== "timestamp") params.sort = view.sort;
      if (view.order !== "desc") params.order = view.order;
      if (view.range === "custom") { params.start = view.start; params.stop = view.stop; }
      var search = query(params);
      history.replaceState(null, "", window.location.pathname + (search ? "?" + search : ""));
      // The other windows of the family show the same view.
      document.querySelectorAll(".intervals a").forEach(function (a) {
        a.href = a.pathname + (search ? "?" + search.replace(/(^|&)page=\d+/, "") : "");
      });
    }

    function showCustom() {
      custom.hidden = view.range !== "custom";
      if (view.range === "custom" && view.start !== null) {
        startBox.value = utc(view.start).slice(0, 16);
        stopBox.value = utc(view.stop).slice(0, 16);
      }
    }

    function seriesParams() {
      var params = { points: Math.max(60, Math.min(1000, Math.round(chartEl.clientWidth / 2))), top: view.top };
      if (view.range === "custom") {
        params.start = view.start;
        params.stop = view.stop;
      } else {
        params.last = range.querySelector("option[value='" + view.range + "']").getAttribute("data-seconds");
      }
      return params;
    }

    function rowParams(extra) {
      var params = { start: shown.start, stop: shown.stop, sort: view.sort, order: view.order };
      for (var key in extra) params[key] = extra[key];
      return params;
    }

    function draw(found) {
      var data = chartData(found);
      var names = found.lines.map(function (line) { return line.name; }).join("\u0000");
      var counted = found.lines.some(function (line) { return line.values.some(function (v) { return v > 0; }); });
      var caption = document.getElementById("chart-caption");
      var each = found.step === found.window
        ? "Each point is one window of " + duration(found.window) + "."
        : "Each point sums " + found.step / found.window + " windows of " + duration(found.window) +
          " (" + duration(found.step) + ").";
      caption.textContent = utc(found.start) + " to " + utc(found.stop) + ". " + each +
        (found.latest === null ? "" : " Newest data: " + utc(found.latest) + ".");
      emptyEl.hidden = counted;
      chartEl.hidden = !counted;
      emptyEl.textContent = found.latest === null
        ? "No data yet: nothing has been counted for this statistic."
        : "Nothing was counted in this range. The newest data is from " + utc(found.latest) + ".";
      if (!counted) return;
      if (chart && names === shape) {
        chart.setData(data);
      } else {
        if (chart) chart.destroy();
        shape = names;
        chart = new uPlot({
          width: chartEl.clientWidth || 600,
          height: 320,
          scales: { x: { time: true, range: function () { return [shown.start, shown.stop]; } } },
          tzDate: function (seconds) { return uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"); },
          series: chartSeries(found),
          // Ticks far enough apart for a date ("2015-10-28") to fit between them.
          axes: [{ values: timeTicks, space: 90 }, { label: found.measure === "volume" ? "messages" : "latest events" }],
        }, data, chartEl);
      }
    }

    // The numbers behind the chart, as a table a screen reader can read (built while it is open).
    function numbers() {
      if (!numbersBox.open || shown === null) return;
      var table = document.getElementById("numbers");
      table.textContent = "";
      var head = table.createTHead().insertRow();
      head.appendChild(cell("th", "from"));
      shown.lines.forEach(function (line) { head.appendChild(cell("th", line.name)); });
      var body = table.createTBody();
      shown.times.forEach(function (time, i) {
        var row = body.insertRow();
        row.appendChild(cell("td", utc(time)));
        shown.lines.forEach(function (line) { row.appendChild(cell("td", String(line.values[i]))); });
      });
    }

    function fill(rows, total) {
      var body = document.querySelector("#rows tbody");
      body.textContent = "";
      rows.forEach(function (row) {
        var tr = body.insertRow();
        columns.forEach(function (column) {
          var value = row[column.name];
          var td = tr.insertCell();
          if (column.name === "link" && value) {
            var a = document.createElement("a");
            a.href = value;
            a.rel = "noopener noreferrer";
            a.textContent = new URL(value).hostname;
            td.appendChild(a);
          } else {
            td.textContent = value === null ? "" : column.type === "timestamp" ? utc(value)
              : Array.isArray(value) ? value.join(" ") : String(value);
          }
        });
      });
      if (!rows.length) {
        var empty = body.insertRow().insertCell();
        empty.colSpan = columns.length;
        empty.textContent = "No rows in this range.";
      }
      var pages = Math.max(1, Math.ceil(total / ROWS_PER_PAGE));
      document.getElementById("page-info").textContent = "Page " + view.page + " of " + pages + " (" + total + " rows)";
      document.getElementById("previous").disabled = view.page <= 1;
      document.getElementById("next").disabled = view.page >= pages;
      document.querySelectorAll("#rows th").forEach(function (th) {
        if (!th.querySelector("button")) return;
        var name = th.querySelector("button").getAttribute("data-sort");
        th.setAttribute("aria-sort", name === view.sort ? (view.order === "desc" ? "descending" : "ascending") : "none");
      });
    }

    // The top categories (users, packages...) of the range shown, with their shares.
    function rank(answer) {
      var body = ranking.querySelector("tbody");
      body.textContent = "";
      answer.body.forEach(function (item, index) {
        var tr = body.insertRow();
        tr.appendChild(cell("td", String(index + 1)));
        tr.appendChild(cell("td", item.category));
        tr.appendChild(cell("td", String(item.volume)));
        tr.appendChild(cell("td", (100 * item.share).toFixed(1) + "%"));
      });
      if (!answer.body.length) {
        var empty = body.insertRow().insertCell();
        empty.colSpan = 4;
        empty.textContent = "Nothing counted in this range.";
      }
    }

    function downloads() {
      ["csv", "json", "ndjson"].forEach(function (fmt) {
        document.getElementById("download-" + fmt).href = rowsUrl + "?" + query(rowParams({ format: fmt, stream: 1 }));
      });
    }

    function load() {
      if (loading) return Promise.resolve();
      loading = true;
      toAddress();
      return fetchJSON(seriesUrl + "?" + query(seriesParams()))
        .then(function (answer) {
          shown = answer.body;
          draw(shown);
          numbers();
          downloads();
          return fetchJSON(rowsUrl + "?" + query(rowParams({ page: view.page, rows_per_page: ROWS_PER_PAGE })));
        })
        .then(function (answer) {
          fill(answer.body, parseInt(answer.total, 10) || 0);
          if (!ranking) return null;
          return fetchJSON(rankingUrl + "?" + query({ start: shown.start, stop: shown.stop, n: 10 })).then(rank);
        })
        .then(function () {
          status.textContent = "Updated " + utc(Date.now() / 1000 | 0).slice(11) +
            (timer === null ? "." : "; refreshing every " + every / 1000 + " s while this tab is shown.");
          status.classList.remove("failed");
        })
        .catch(function (error) {
          status.textContent = "Could not load: " + error.message;
          status.classList.add("failed");
        })
        .then(function () { loading = false; });
    }

    function live() {
      if (timer !== null) clearInterval(timer);
      timer = document.hidden ? null : setInterval(load, every);
      if (timer === null) status.textContent = "Paused while this tab is hidden.";
    }

    range.addEventListener("change", function () {
      if (range.value === "custom") {
        // Start from what is shown; nothing changes until Show.
        if (shown !== null) { view.start = shown.start; view.stop = shown.stop; }
        custom.hidden = false;
        startBox.value = view.start === null ? "" : utc(view.start).slice(0, 16);
        stopBox.value = view.stop === null ? "" : utc(view.stop).slice(0, 16);
        startBox.focus();
        return;
      }
      custom.hidden = true;
      view.range = range.value;
      view.page = 1;
      load();
    });
    document.getElementById("controls").addEventListener("submit", function (event) {
      event.preventDefault();
      var start = parseUTC(startBox.value);
      var stop = parseUTC(stopBox.value);
      if (isNaN(start) || isNaN(stop)) {
        status.textContent = "Write From and To as 2015-10-28 or 2015-10-28 12:00 (UTC).";
        status.classList.add("failed");
        return;
      }
      if (stop <= start) {
        status.textContent = "To must be after From.";
        status.classList.add("failed");
        return;
      }
      view.range = "custom";
      view.start = start;
      view.stop = stop;
      view.page = 1;
      load();
    });
    if (top) top.addEventListener("change", function () { view.top = top.value; load(); });
    document.getElementById("previous").addEventListener("click", function () { view.page--; load(); });
    document.getElementById("next").addEventListener("click", function () { view.page++; load(); });
    numbersBox.addEventListener("toggle", numbers);
    document.querySelectorAll("#rows th button").forEach(function (button) {
      button.addEventListener("click", function () {
        var name = button.getAttribute("data-sort");
        view.order = view.sort === name && view.order === "desc" ? "asc" : "desc";
        view.sort = name;
        view.page = 1;
        load();
      });
    });
    document.addEventListener("visibilitychange", function () {
      live();
      if (!document.hidden) load();
    });
    // The chart follows its box's width: a window resized, or a scroll bar that came after it was drawn.
    new ResizeObserver(function () {
      var width = chartEl.parentNode.clientWidth;
      if (chart && width && Math.abs(width - chart.width) > 1) chart.setSize({ width: width, height: chart.height });
    }).observe(chartEl.parentNode);
    fromAddress();
    live();
    load();
  }

  // The board: its tiles read again every so often while the tab is shown (one request: the page itself).
  function board(root) {
    var every = parseInt(root.getAttribute("data-refresh"), 10);
    var timer = null;

    function reload() {
      fetch(window.location.href, { headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.statusText);
          return response.text();
        })
        .then(function (text) {
          var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("board");
          if (fresh) {
            root.replaceChildren.apply(root, Array.prototype.slice.call(fresh.childNodes));
            refreshAgo();
          }
        })
        .catch(function () { /* the next round tries again */ });
    }

    function live() {
      if (timer !== null) clearInterval(timer);
      timer = document.hidden ? null : setInterval(reload, every);
    }

    document.addEventListener("visibilitychange", function () {
      live();
      if (!document.hidden) reload();
    });
    live();
  }

  document.addEventListener("DOMContentLoaded", function () {
    refreshAgo();
    setInterval(refreshAgo, 15000);
    timelines();
    overview();
    var statistic = document.getElementById("statistic");
    if (statistic) pluginPage(statistic);
    var tiles = document.getElementById("board");
    if (tiles) board(tiles);
  });
})();

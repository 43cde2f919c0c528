// statscache's pages: charts (uPlot), the overview's filter, a plugin page's table, downloads and live refresh.
// Everything is read from the API of the same server; nothing comes from another host.
(function () {
  "use strict";

  // Okabe–Ito: told apart with every common kind of colour blindness. Lines past eight are dashed too.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  var ROWS_PER_PAGE = 25;

  function lineStyle(index, other) {
    if (other) return { stroke: "#999999", dash: [4, 4], width: 1.5 };
    var style = { stroke: PALETTE[index % PALETTE.length], width: 2 };
    if (index >= PALETTE.length) style.dash = [8, 3];
    return style;
  }

  // "how long ago" of every <time data-ago>, kept current.
  function ago(seconds) {
    var units = [["day", 86400], ["hour", 3600], ["minute", 60]];
    for (var i = 0; i < units.length; i++) {
      var n = Math.floor(seconds / units[i][1]);
      if (n >= 1) return n + " " + units[i][0] + (n === 1 ? "" : "s") + " ago";
    }
    return "just now";
  }

  function refreshAgo() {
    var now = Date.now() / 1000;
    document.querySelectorAll("time[data-ago]").forEach(function (el) {
      var when = Date.parse(el.getAttribute("datetime")) / 1000;
      if (!isNaN(when)) {
        el.textContent = ago(Math.max(0, now - when));
        el.title = el.getAttribute("datetime");
      }
    });
  }

  function utc(seconds) {
    return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/:00\.000Z$|\.000Z$/, "") + " UTC";
  }

  // Axes in UTC, as every time statscache shows.
  function inUTC(seconds) {
    return uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC");
  }

  // uPlot's data: [times, line values...]; its series: one per line.
  function chartData(found) {
    return [found.times].concat(found.lines.map(function (line) { return line.values; }));
  }

  function chartSeries(found) {
    return [{ label: "time (UTC)", value: function (u, v) { return v == null ? "" : utc(v); } }].concat(
      found.lines.map(function (line, index) {
        var style = lineStyle(index, line.other);
        return { label: line.name, stroke: style.stroke, dash: style.dash, width: style.width, points: { show: false } };
      })
    );
  }

  function sparkline(el) {
    var found = JSON.parse(el.getAttribute("data-series"));
    var width = el.clientWidth || 260;
    new uPlot({
      width: width,
      height: 64,
      legend: { show: false },
      cursor: { show: false },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: true } },
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
    var every = parseInt(root.getAttribute("data-refresh"), 10);
    var range = document.getElementById("range");
    var top = document.getElementById("top");
    var custom = document.getElementById("custom");
    var status = document.getElementById("status");
    var chartEl = document.getElementById("chart");
    var view = { page: 1, sort: "timestamp", order: "desc", start: null, stop: null };
    var chart = null;
    var shape = "";
    var timer = null;
    var loading = false;

    function seriesParams() {
      var params = { points: Math.max(60, Math.min(1000, Math.round(chartEl.clientWidth / 2))) };
      if (top) params.top = top.value;
      if (range.value === "custom") {
        params.start = Date.parse(document.getElementById("start").value + "Z") / 1000;
        params.stop = Date.parse(document.getElementById("stop").value + "Z") / 1000;
      } else {
        params.last = range.options[range.selectedIndex].getAttribute("data-seconds");
      }
      return params;
    }

    function rowParams(extra) {
      var params = { start: view.start, stop: view.stop, sort: view.sort, order: view.order };
      for (var key in extra) params[key] = extra[key];
      return params;
    }

    function draw(found) {
      var data = chartData(found);
      var names = found.lines.map(function (line) { return line.name; }).join("\u0000");
      var caption = document.getElementById("chart-caption");
      caption.textContent = found.latest === null
        ? "No data yet."
        : "One point per " + found.step + " s; newest message counted " + utc(found.latest) + ".";
      if (chart && names === shape) {
        chart.setData(data);
      } else {
        if (chart) chart.destroy();
        shape = names;
        chart = new uPlot({
          width: chartEl.clientWidth || 600,
          height: 320,
          scales: { x: { time: true } },
          tzDate: inUTC,
          series: chartSeries(found),
          axes: [{}, { label: found.measure }],
        }, data, chartEl);
      }
      numbers(found);
    }

    // The numbers behind the chart, as a table a screen reader can read.
    function numbers(found) {
      var table = document.getElementById("numbers");
      table.textContent = "";
      var head = table.createTHead().insertRow();
      head.appendChild(cell("th", "from (UTC)"));
      found.lines.forEach(function (line) { head.appendChild(cell("th", line.name)); });
      var body = table.createTBody();
      found.times.forEach(function (time, i) {
        var row = body.insertRow();
        row.appendChild(cell("td", utc(time)));
        found.lines.forEach(function (line) { row.appendChild(cell("td", String(line.values[i]))); });
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
            a.textContent = value;
            td.appendChild(a);
          } else {
            td.textContent = value === null ? "" : column.type === "timestamp" ? utc(value) : String(value);
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
        var name = th.querySelector("button").getAttribute("data-sort");
        th.setAttribute("aria-sort", name === view.sort ? (view.order === "desc" ? "descending" : "ascending") : "none");
      });
    }

    function downloads() {
      ["csv", "json", "ndjson"].forEach(function (fmt) {
        var params = rowParams({ format: fmt, stream: 1 });
        document.getElementById("download-" + fmt).href = rowsUrl + "?" + query(params);
      });
    }

    function load() {
      if (loading) return Promise.resolve();
      loading = true;
      return fetchJSON(seriesUrl + "?" + query(seriesParams()))
        .then(function (answer) {
          view.start = answer.body.start;
          view.stop = answer.body.stop;
          draw(answer.body);
          downloads();
          var params = rowParams({ page: view.page, rows_per_page: ROWS_PER_PAGE });
          return fetchJSON(rowsUrl + "?" + query(params));
        })
        .then(function (answer) {
          fill(answer.body, parseInt(answer.total, 10) || 0);
          status.textContent = "Updated " + new Date().toLocaleTimeString() +
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
      custom.hidden = range.value !== "custom";
      if (range.value === "custom") {
        var now = new Date();
        document.getElementById("stop").value = now.toISOString().slice(0, 16);
        document.getElementById("start").value = new Date(now - 86400000).toISOString().slice(0, 16);
        return;
      }
      view.page = 1;
      load();
    });
    document.getElementById("controls").addEventListener("submit", function (event) {
      event.preventDefault();
      view.page = 1;
      load();
    });
    if (top) top.addEventListener("change", load);
    document.getElementById("previous").addEventListener("click", function () { view.page--; load(); });
    document.getElementById("next").addEventListener("click", function () { view.page++; load(); });
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
    window.addEventListener("resize", function () {
      if (chart) chart.setSize({ width: chartEl.clientWidth, height: chart.height });
    });
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

(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("run-data").textContent);
  var FAULT_COLORS = {partition: "#7b2cbf", kill: "#d1495b", pause: "#00798c", clock: "#edae49", "disk-full": "#66a182",
    bitflip: "#2e4057", "wipe-disk": "#8d0801", "link-loss": "#f08a24", "link-duplicate": "#9c6644",
    "link-reorder": "#6a4c93", "link-clog": "#ff595e"};
  var F_COLORS = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#7f7f7f"];
  var OUTCOME = ["ok", "fail", "info"];

  function faultColor(kind, alpha) {
    var c = FAULT_COLORS[kind] || "#555555";
    var r = parseInt(c.substr(1, 2), 16), g = parseInt(c.substr(3, 2), 16), b = parseInt(c.substr(5, 2), 16);
    return "rgba(" + r + "," + g + "," + b + "," + alpha + ")";
  }

  // Fault windows, listed and shaded on every plot.
  var list = document.getElementById("fault-windows");
  data.windows.forEach(function (w) {
    var li = document.createElement("li");
    li.className = "fault-window";
    var sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = faultColor(w.kind, 0.9);
    li.appendChild(sw);
    li.appendChild(document.createTextNode(w.label + ": " + w.start.toFixed(2) + "-" + w.end.toFixed(2) + " s"));
    list.appendChild(li);
  });
  if (!data.windows.length) {
    list.textContent = "No fault was injected.";
  } else if (data.windows.length > 30) {
    // Many windows: keep the list, folded.
    var det = document.createElement("details"), sum = document.createElement("summary");
    sum.textContent = data.windows.length + " fault windows";
    list.parentNode.insertBefore(det, list);
    det.appendChild(sum);
    det.appendChild(list);
  }

  function drawWindows(u) {
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, px = window.devicePixelRatio || 1;
    ctx.save();
    ctx.font = (10 * px) + "px sans-serif";
    data.windows.forEach(function (w, i) {
      var x0 = u.valToPos(w.start, "x", true), x1 = u.valToPos(w.end, "x", true);
      ctx.fillStyle = faultColor(w.kind, w.effective ? 0.13 : 0.05);
      ctx.fillRect(x0, top, Math.max(1.5 * px, x1 - x0), h);
      // Labels only where they fit (a long run has hundreds of windows: the list below names them all).
      var labelPx = ctx.measureText(w.label).width;
      if (data.windows.length <= 30 || x1 - x0 >= labelPx * 0.6) {
        ctx.fillStyle = faultColor(w.kind, 0.95);
        ctx.fillText(w.label, x0 + 2 * px, top + (11 + 11 * (i % 5)) * px);
      }
    });
    ctx.restore();
  }

  var width = Math.min(1120, document.body.clientWidth - 20);

  // Latency: points per (f, outcome), with p50/p95/p99 lines of ok operations per time bucket.
  (function () {
    var cats = [];
    data.fs.forEach(function (f, fi) {
      OUTCOME.forEach(function (o, oi) { cats.push({f: fi, o: oi, label: f + " " + o}); });
    });
    var xs = [];
    data.points.forEach(function (p) { xs.push(p[0]); });
    data.buckets.x.forEach(function (x) { xs.push(x); });
    var order = xs.map(function (_, i) { return i; }).sort(function (a, b) { return xs[a] - xs[b]; });
    var n = order.length, np = data.points.length;
    var x = new Float64Array(n);
    var series = cats.map(function () { return new Array(n).fill(null); });
    var qs = [new Array(n).fill(null), new Array(n).fill(null), new Array(n).fill(null)];
    order.forEach(function (src, i) {
      x[i] = xs[src];
      if (src < np) {
        var p = data.points[src];
        series[p[2] * 3 + p[3]][i] = p[1];
      } else {
        var b = src - np;
        qs[0][i] = data.buckets.p50[b];
        qs[1][i] = data.buckets.p95[b];
        qs[2][i] = data.buckets.p99[b];
      }
    });
    var used = cats.map(function (c, i) { return series[i].some(function (v) { return v !== null; }); });
    var uSeries = [{label: "time (s)"}];
    var uData = [x];
    cats.forEach(function (c, i) {
      if (!used[i]) { return; }
      var color = c.o === 0 ? F_COLORS[c.f % F_COLORS.length] : (c.o === 1 ? "#e76f51" : "#e9c46a");
      uSeries.push({label: c.label, stroke: color, paths: function () { return null; },
        points: {show: true, size: c.o === 0 ? 3 : 5, stroke: color, fill: color}});
      uData.push(series[i]);
    });
    ["p50", "p95", "p99"].forEach(function (name, j) {
      uSeries.push({label: name + " (ok)", stroke: ["#555", "#222", "#000"][j], width: j === 2 ? 2 : 1, spanGaps: true,
        points: {show: false}, dash: j === 0 ? [4, 4] : undefined});
      uData.push(qs[j]);
    });
    new uPlot({width: width, height: 360, scales: {x: {time: false}, y: {distr: 3}},
      axes: [{label: "time (s)"}, {label: "latency (ms)"}], series: uSeries, hooks: {draw: [drawWindows]},
      legend: {live: false}}, uData, document.getElementById("latency-plot"));
  })();

  // Throughput: ok operations per second by f, failed and unknown ones.
  (function () {
    var b = data.buckets;
    var uSeries = [{label: "time (s)"}], uData = [b.x];
    data.fs.forEach(function (f, i) {
      uSeries.push({label: f + " ok/s", stroke: F_COLORS[i % F_COLORS.length], width: 1.5});
      uData.push(b.okRate[i]);
    });
    uSeries.push({label: "fail/s", stroke: "#e76f51", width: 1.5});
    uData.push(b.failRate);
    uSeries.push({label: "info/s", stroke: "#e9b949", width: 1.5});
    uData.push(b.infoRate);
    new uPlot({width: width, height: 260, scales: {x: {time: false}}, axes: [{label: "time (s)"}, {label: "ops/s"}],
      series: uSeries, hooks: {draw: [drawWindows]}, legend: {live: false}}, uData, document.getElementById("rate-plot"));
  })();

  // Timeline: a window of operations, one column per worker thread and one for the nemesis.
  (function () {
    var canvas = document.getElementById("timeline"), ctx = canvas.getContext("2d");
    var from = document.getElementById("timeline-from"), spanSel = document.getElementById("timeline-span");
    var label = document.getElementById("timeline-range"), hover = document.getElementById("timeline-hover");
    var ops = data.timeline, cols = data.threads + 1, endMs = Math.max(1, data.endSeconds * 1000);
    var COLORS = ["#2a9d8f", "#e76f51", "#e9c46a", "#7b2cbf"];
    var drawn = [];
    function draw() {
      var spanMs = Number(spanSel.value) * 1000;
      var t0 = Number(from.value) / 1000 * Math.max(0, endMs - spanMs), t1 = t0 + spanMs;
      label.textContent = (t0 / 1000).toFixed(2) + "-" + (t1 / 1000).toFixed(2) + " s";
      var W = canvas.width, H = canvas.height, left = 50, colW = (W - left) / cols, k = (H - 20) / spanMs;
      ctx.clearRect(0, 0, W, H);
      ctx.font = "11px sans-serif";
      ctx.fillStyle = "#666";
      for (var c = 0; c < cols; c++) {
        ctx.fillText(c === cols - 1 ? "nemesis" : "t" + c, left + c * colW + 4, 12);
      }
      for (var s = 0; s <= 4; s++) {
        ctx.fillText(((t0 + s * spanMs / 4) / 1000).toFixed(2) + "s", 2, 20 + s * (H - 24) / 4 + 4);
      }
      drawn = [];
      for (var i = 0; i < ops.length; i++) {
        var o = ops[i], start = o[1], end = o[2] < 0 ? endMs : o[2];
        if (end < t0 || start > t1) { continue; }
        var x = left + o[0] * colW + 2, y = 20 + (start - t0) * k, h = Math.max(2, (end - start) * k);
        ctx.fillStyle = COLORS[o[3]];
        ctx.globalAlpha = o[2] < 0 ? 0.4 : 0.85;
        ctx.fillRect(x, y, colW - 4, h);
        ctx.globalAlpha = 1;
        if (h > 12) {
          ctx.fillStyle = "#111";
          var f = o[4] >= 0 ? data.fs[o[4]] : "";
          ctx.fillText((f + " " + o[6]).substring(0, Math.floor(colW / 6)), x + 2, y + 11);
        }
        drawn.push([x, y, colW - 4, h, i]);
      }
      // What the cluster's monitors found: a red line across every column at its time, labelled.
      (data.violations || []).forEach(function (v) {
        if (v[0] < t0 || v[0] > t1) { return; }
        var y = 20 + (v[0] - t0) * k;
        ctx.fillStyle = "#d00000";
        ctx.fillRect(left, y - 1, W - left, 2);
        ctx.fillText("VIOLATION " + v[1].substring(0, 140), left + 4, Math.max(22, y - 3));
      });
    }
    canvas.addEventListener("mousemove", function (e) {
      var r = canvas.getBoundingClientRect(), sx = canvas.width / r.width, sy = canvas.height / r.height;
      var mx = (e.clientX - r.left) * sx, my = (e.clientY - r.top) * sy;
      for (var i = drawn.length - 1; i >= 0; i--) {
        var d = drawn[i];
        if (mx >= d[0] && mx <= d[0] + d[2] && my >= d[1] && my <= d[1] + d[3]) {
          var o = ops[d[4]];
          hover.textContent = (o[5] < 0 ? "nemesis" : "process " + o[5]) + " " + (o[4] >= 0 ? data.fs[o[4]] : "") + " "
            + o[6] + "  [" + o[1].toFixed(3) + " ms .. " + (o[2] < 0 ? "never completed" : o[2].toFixed(3) + " ms") + "] "
            + ["ok", "fail", "info", "fault"][o[3]];
          return;
        }
      }
    });
    from.addEventListener("input", draw);
    spanSel.addEventListener("change", draw);
    draw();
  })();
})();

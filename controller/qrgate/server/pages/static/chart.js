// Occupancy over the day as an inline SVG step chart, drawn here: no chart library, no CDN.
// drawOccupancy(container, series, start, end, labels, hourOf): series is [{label, points}], each
// point [time in s, people] sorted by time; start and end bound the day (s); labels and hourOf(h)
// come from the caller as plain text. One line per place (the site, or each zone), a legend below.
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const W = 720, H = 240, LEFT = 44, RIGHT = 12, TOP = 12, BOTTOM = 28, LEGEND = 20, COLOURS = 4;

  function node(tag, attrs, text) {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = String(text);
    return n;
  }
  function niceStep(max) {
    for (const step of [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000]) if (max / step <= 5) return step;
    return Math.ceil(max / 5);
  }

  function drawOccupancy(container, series, start, end, labels, hourOf) {
    const svg = node("svg", { viewBox: `0 0 ${W} ${H + LEGEND * series.length}`, role: "img", class: "chart" });
    svg.append(node("title", {}, labels.title));
    const all = series.flatMap((s) => s.points);
    const peak = Math.max(1, ...all.map((p) => p[1]));
    const step = niceStep(peak);
    const top = Math.ceil(peak / step) * step;
    const x = (t) => LEFT + (Math.min(Math.max(t, start), end) - start) / (end - start) * (W - LEFT - RIGHT);
    const y = (v) => H - BOTTOM - v / top * (H - TOP - BOTTOM);
    for (let v = 0; v <= top; v += step) {
      svg.append(node("line", { x1: LEFT, x2: W - RIGHT, y1: y(v), y2: y(v), class: "grid" }));
      svg.append(node("text", { x: LEFT - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, v));
    }
    for (let h = 0; h <= 24; h += 3) {
      const t = start + h * 3600;
      svg.append(node("line", { x1: x(t), x2: x(t), y1: TOP, y2: H - BOTTOM, class: "grid" }));
      svg.append(node("text", { x: x(t), y: H - 8, "text-anchor": "middle", class: "tick" }, hourOf(h)));
    }
    if (!all.length) {
      svg.append(node("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, labels.empty));
    }
    series.forEach((s, i) => {
      const cls = "line line" + (i % COLOURS);
      if (s.points.length) {
        let d = `M ${x(s.points[0][0])} ${y(s.points[0][1])}`;
        for (const [t, v] of s.points.slice(1)) d += ` H ${x(t)} V ${y(v)}`;
        svg.append(node("path", { d, class: cls }));
      }
      const ly = H + LEGEND * i + LEGEND / 2;
      svg.append(node("line", { x1: LEFT, x2: LEFT + 24, y1: ly, y2: ly, class: cls }));
      const last = s.points.length ? s.points[s.points.length - 1][1] : 0;
      svg.append(node("text", { x: LEFT + 32, y: ly + 4, class: "tick legend" }, s.label + ": " + last));
    });
    svg.dataset.points = String(all.length);
    container.replaceChildren(svg);
  }
  window.qgChart = { drawOccupancy };
})();

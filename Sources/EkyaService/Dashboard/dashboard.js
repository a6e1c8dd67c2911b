// Ekya live dashboard: polls /api/dashboard and draws one SVG chart per stream (no libraries).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const W = 400, H = 170, PAD = { left: 30, right: 8, top: 8, bottom: 18 };

function el(name, attributes, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

function pct(value) {
  return value === null || value === undefined ? "–" : (value * 100).toFixed(1) + "%";
}

function chart(stream, windowSeconds) {
  const svg = el("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none",
    "data-stream": stream.id, "data-points": String(stream.series.length), "data-swaps": String(stream.swaps.length) });
  const times = stream.series.map((p) => p[0]).concat(stream.windows.map((w) => (w.window - 1) * windowSeconds));
  const t0 = times.length ? Math.min(...times) : 0;
  const t1 = times.length ? Math.max(...times, t0 + windowSeconds) : windowSeconds;
  const x = (t) => PAD.left + (t - t0) / Math.max(1e-9, t1 - t0) * (W - PAD.left - PAD.right);
  const y = (a) => PAD.top + (1 - a) * (H - PAD.top - PAD.bottom);
  for (const level of [0, 0.25, 0.5, 0.75, 1]) {
    el("line", { class: level === 0 ? "axis" : "grid", x1: PAD.left, x2: W - PAD.right, y1: y(level), y2: y(level) }, svg);
    el("text", { x: 2, y: y(level) + 3 }, svg).textContent = Math.round(level * 100) + "%";
  }
  for (const w of stream.windows) {
    const start = (w.window - 1) * windowSeconds;
    if (start >= t0 && start <= t1) {
      el("line", { class: "grid", x1: x(start), x2: x(start), y1: PAD.top, y2: H - PAD.bottom }, svg);
      el("text", { x: x(start) + 2, y: H - 5 }, svg).textContent = "w" + w.window;
    }
  }
  if (stream.series.length) {
    const points = stream.series.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
    el("polyline", { class: "accuracy", points }, svg);
  }
  for (const swap of stream.swaps) {
    el("line", { class: "swap", x1: x(swap), x2: x(swap), y1: PAD.top, y2: H - PAD.bottom }, svg);
  }
  for (const w of stream.windows) {
    const mid = (w.window - 0.5) * windowSeconds;
    if (w.accuracy_predicted !== null && w.accuracy_predicted !== undefined) el("circle", { class: "predicted", cx: x(mid), cy: y(w.accuracy_predicted), r: 4 }, svg);
    if (w.accuracy_realised !== null && w.accuracy_realised !== undefined) el("circle", { class: "realised", cx: x(mid), cy: y(w.accuracy_realised), r: 3 }, svg);
  }
  return svg;
}

function bar(kind, label, value, text) {
  const fragment = document.createDocumentFragment();
  const name = document.createElement("span");
  name.textContent = label;
  const track = document.createElement("div");
  track.className = "bar " + kind;
  const fill = document.createElement("span");
  fill.style.width = Math.max(0, Math.min(1, value || 0)) * 100 + "%";
  track.appendChild(fill);
  const number = document.createElement("span");
  number.className = "num";
  number.textContent = text;
  fragment.append(name, track, number);
  return fragment;
}

function card(stream, windowSeconds) {
  const section = document.createElement("section");
  section.className = "card stream";
  section.dataset.stream = stream.id;
  const title = document.createElement("h2");
  title.textContent = stream.id;
  const meta = document.createElement("span");
  meta.className = "meta";
  const camera = stream.connection
    ? ` · camera ${stream.connection}${stream.connection_detail ? " (" + stream.connection_detail + ")" : ""}`
    : "";
  meta.textContent = `${stream.scenario} · ${stream.status}${camera} · model v${stream.serving_version ?? "–"}`;
  title.appendChild(meta);
  section.appendChild(title);
  section.appendChild(chart(stream, windowSeconds));
  const bars = document.createElement("div");
  bars.className = "bars";
  bars.appendChild(bar("inference", "inference", stream.inference_share, (stream.inference_share ?? 0).toFixed(2)));
  bars.appendChild(bar("training", "retraining", stream.training_share, (stream.training_share ?? 0).toFixed(2)));
  const progress = stream.retraining_progress;
  bars.appendChild(bar("progress", stream.configuration ? "job " + stream.configuration : "job –", progress,
    progress === null || progress === undefined ? "–" : Math.round(progress * 100) + "%"));
  section.appendChild(bars);
  const last = stream.windows.filter((w) => w.accuracy_realised !== null && w.accuracy_realised !== undefined).pop();
  const pvr = document.createElement("div");
  pvr.className = "pvr";
  pvr.textContent = last
    ? `window ${last.window}: realised ${pct(last.accuracy_realised)} vs predicted ${pct(last.accuracy_predicted)}` +
      (last.configuration ? ` · retrained ${last.configuration}: ${pct(last.realised_end_accuracy)} (predicted ${pct(last.predicted_end_accuracy)})` : "")
    : "no completed window yet";
  section.appendChild(pvr);
  return section;
}

// A fleet (servers sharing one PostgreSQL store): one row per node with the streams it holds.
function fleetTable(fleet) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const name of ["node", "status", "heartbeat", "streams (lease age)", "mean accuracy"]) {
    const cell = document.createElement("th");
    cell.textContent = name;
    head.appendChild(cell);
  }
  const body = table.createTBody();
  for (const node of fleet.nodes) {
    const row = body.insertRow();
    row.dataset.node = node.id;
    row.className = node.alive ? "alive" : "dead";
    const streams = node.streams.map((s) => `${s.id} (${Math.round(s.lease_age_seconds ?? 0)} s)`).join(", ");
    const cells = [node.id + (node.id === fleet.node ? " (this)" : ""), node.alive ? "live" : node.status,
      node.heartbeat_age_seconds === undefined ? "–" : node.heartbeat_age_seconds.toFixed(1) + " s ago",
      streams || "–", pct(node.mean_accuracy)];
    for (const text of cells) row.insertCell().textContent = text;
  }
  const caption = table.createCaption();
  caption.textContent = `fleet of ${fleet.nodes.filter((n) => n.alive).length} live nodes` +
    (fleet.unassigned.length ? ` · waiting for a node: ${fleet.unassigned.join(", ")}` : "");
  return table;
}

async function refreshFleet() {
  const section = document.getElementById("fleet");
  try {
    const response = await fetch("/api/fleet", { cache: "no-store" });
    if (!response.ok) return;
    const fleet = await response.json();
    section.hidden = !fleet.shared;
    if (fleet.shared) section.replaceChildren(fleetTable(fleet));
  } catch (error) {
    section.hidden = true;
  }
}

async function refresh() {
  refreshFleet();
  const status = document.getElementById("status");
  try {
    const response = await fetch("/api/dashboard", { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const data = await response.json();
    const main = document.getElementById("streams");
    main.replaceChildren(...data.streams.map((s) => card(s, data.window_seconds)));
    if (!data.streams.length) {
      const empty = document.createElement("div");
      empty.className = "empty";
      empty.textContent = "no streams yet";
      main.appendChild(empty);
    }
    const where = data.window ? `window ${data.window}` + (data.time !== null && data.time !== undefined ? ` · t=${Math.round(data.time)}/${data.window_seconds}s` : "") : `last window ${data.last_completed_window ?? "–"}`;
    status.textContent = `${data.phase} · ${where} · updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.updated = String(Date.now());
  } catch (error) {
    status.textContent = "disconnected: " + error.message;
  }
}

refresh();
setInterval(refresh, 2000);

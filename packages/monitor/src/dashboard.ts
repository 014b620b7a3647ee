/**
 * The live dashboard at /dashboard: one HTML page with its script and styles inline (no build
 * step, no CDN). It polls ./varz, ./connz and ./jsz and draws its own line charts on <canvas>.
 * `?interval=<ms>` changes the polling period (default 1000).
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nats-ts dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --fg: #1d2330; --muted: #6b7280; --card: #fff; --bg: #f3f4f8; --accent: #375c93; --accent2: #34a574; --warn: #d9480f; }
  * { box-sizing: border-box; }
  body { margin: 0; font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; background: var(--bg); color: var(--fg); }
  header { padding: 14px 24px; background: #1d2330; color: #fff; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header span { color: #cbd5e1; font-size: 13px; }
  #status.error { color: #fca5a5; }
  main { padding: 16px 24px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); }
  .card { background: var(--card); border-radius: 8px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  .card h2 { font-size: 13px; font-weight: 600; margin: 0 0 4px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
  .value { font-size: 26px; font-weight: 600; }
  .value small { font-size: 13px; color: var(--muted); font-weight: 400; margin-left: 6px; }
  canvas { width: 100%; height: 120px; display: block; margin-top: 6px; }
  .wide { grid-column: 1 / -1; }
  table { width: 100%; border-collapse: collapse; font-size: 13px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e5e7eb; }
  th { color: var(--muted); font-weight: 600; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .empty { color: var(--muted); font-size: 13px; }
</style>
</head>
<body>
<header>
  <h1>nats-ts</h1>
  <span id="server">connecting…</span>
  <span id="uptime"></span>
  <span id="status">polling</span>
</header>
<main>
  <section class="card"><h2>Connections</h2><div class="value"><span id="connections">–</span><small id="total-connections"></small></div><canvas id="chart-connections"></canvas></section>
  <section class="card"><h2>Subscriptions</h2><div class="value"><span id="subscriptions">–</span></div><canvas id="chart-subscriptions"></canvas></section>
  <section class="card"><h2>Messages / s</h2><div class="value"><span id="in-msgs-rate">–</span><small>in</small> <span id="out-msgs-rate">–</span><small>out</small></div><canvas id="chart-msgs"></canvas></section>
  <section class="card"><h2>Bytes / s</h2><div class="value"><span id="in-bytes-rate">–</span><small>in</small> <span id="out-bytes-rate">–</span><small>out</small></div><canvas id="chart-bytes"></canvas></section>
  <section class="card"><h2>Slow consumers</h2><div class="value"><span id="slow-consumers">–</span></div><canvas id="chart-slow"></canvas></section>
  <section class="card"><h2>JetStream</h2><div class="value"><span id="js-streams">–</span><small>streams</small> <span id="js-consumers">–</span><small>consumers</small></div><canvas id="chart-pending"></canvas></section>
  <section class="card wide"><h2>Streams and consumers</h2><div id="jetstream-table"><p class="empty">JetStream is not enabled.</p></div></section>
  <section class="card wide"><h2>Busiest connections</h2><div id="connections-table"></div></section>
</main>
<script>
"use strict";
const params = new URLSearchParams(location.search);
const interval = Math.max(100, Number(params.get("interval")) || 1000);
const KEEP = 120;
const series = { connections: [], subscriptions: [], inMsgs: [], outMsgs: [], inBytes: [], outBytes: [], slow: [], pending: [] };
let previous;

function push(name, value) {
  const s = series[name];
  s.push(value);
  if (s.length > KEEP) s.shift();
}

function human(n) {
  if (!Number.isFinite(n)) return "–";
  const units = ["", "K", "M", "G", "T"];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return (i === 0 ? Math.round(n * 10) / 10 : n.toFixed(1)) + units[i];
}

function setText(id, text) { document.getElementById(id).textContent = text; }

/** Draws one or more series as lines with a light grid and the current maximum as a label. */
function draw(id, lines) {
  const canvas = document.getElementById(id);
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== w * ratio || canvas.height !== h * ratio) { canvas.width = w * ratio; canvas.height = h * ratio; }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  let max = 1;
  for (const l of lines) for (const v of l.data) if (v > max) max = v;
  g.strokeStyle = "#e5e7eb";
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) { const y = Math.round(4 + (h - 8) * i / 4) + 0.5; g.beginPath(); g.moveTo(0, y); g.lineTo(w, y); g.stroke(); }
  for (const l of lines) {
    if (l.data.length === 0) continue;
    g.strokeStyle = l.color;
    g.fillStyle = l.color + "22";
    g.lineWidth = 2;
    g.beginPath();
    const step = w / (KEEP - 1);
    const x0 = w - (l.data.length - 1) * step;
    l.data.forEach((v, i) => { const x = x0 + i * step, y = h - 4 - (h - 8) * v / max; if (i === 0) g.moveTo(x, y); else g.lineTo(x, y); });
    g.stroke();
    g.lineTo(w, h - 4); g.lineTo(x0, h - 4); g.closePath(); g.fill();
  }
  g.fillStyle = "#6b7280";
  g.font = "11px sans-serif";
  g.fillText(human(max), 4, 12);
}

async function getJson(path) {
  const res = await fetch(path, { cache: "no-store" });
  if (!res.ok) throw new Error(path + ": " + res.status);
  return res.json();
}

function renderJetStream(jsz) {
  const el = document.getElementById("jetstream-table");
  if (jsz.disabled) { setText("js-streams", "0"); setText("js-consumers", "0"); el.innerHTML = '<p class="empty">JetStream is not enabled.</p>'; return 0; }
  setText("js-streams", human(jsz.streams));
  setText("js-consumers", human(jsz.consumers));
  const rows = [];
  let pending = 0;
  for (const acc of jsz.account_details || []) {
    for (const s of acc.stream_detail || []) {
      rows.push("<tr><td>" + esc(acc.name) + "</td><td>" + esc(s.name) + "</td><td></td><td class=num>" + human(s.state.messages) + "</td><td class=num>" + human(s.state.bytes) + "</td><td class=num></td><td class=num></td></tr>");
      for (const c of s.consumer_detail || []) {
        pending += c.num_pending;
        rows.push("<tr><td></td><td></td><td>" + esc(c.name) + "</td><td></td><td></td><td class='num pending' data-consumer='" + esc(s.name + "/" + c.name) + "'>" + c.num_pending + "</td><td class=num>" + c.num_ack_pending + "</td></tr>");
      }
    }
  }
  el.innerHTML = rows.length === 0 ? '<p class="empty">No streams.</p>' :
    "<table><tr><th>Account</th><th>Stream</th><th>Consumer</th><th class=num>Messages</th><th class=num>Bytes</th><th class=num>Pending</th><th class=num>Ack pending</th></tr>" + rows.join("") + "</table>";
  return pending;
}

function renderConnections(connz) {
  const rows = connz.connections.map((c) => "<tr><td class=num>" + c.cid + "</td><td>" + esc(c.name || "") + "</td><td>" + esc(c.ip + ":" + c.port) + "</td><td class=num>" + c.subscriptions + "</td><td class=num>" + human(c.in_msgs) + "</td><td class=num>" + human(c.out_msgs) + "</td><td class=num>" + human(c.pending_bytes) + "</td><td>" + esc(c.uptime) + "</td></tr>");
  document.getElementById("connections-table").innerHTML = rows.length === 0 ? '<p class="empty">No connections.</p>' :
    "<table><tr><th class=num>CID</th><th>Name</th><th>Address</th><th class=num>Subs</th><th class=num>Msgs in</th><th class=num>Msgs out</th><th class=num>Pending</th><th>Uptime</th></tr>" + rows.join("") + "</table>";
}

function esc(s) { return String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";"); }

async function poll() {
  try {
    const [varz, connz, jsz] = await Promise.all([getJson("./varz"), getJson("./connz?sort=msgs_from&limit=10"), getJson("./jsz?consumers=true")]);
    const now = Date.now();
    setText("server", varz.server_name + " · v" + varz.version + " · " + varz.host + ":" + varz.port);
    setText("uptime", "up " + varz.uptime);
    setText("connections", human(varz.connections));
    setText("total-connections", human(varz.total_connections) + " total");
    setText("subscriptions", human(varz.subscriptions));
    setText("slow-consumers", human(varz.slow_consumers));
    push("connections", varz.connections);
    push("subscriptions", varz.subscriptions);
    push("slow", varz.slow_consumers);
    if (previous !== undefined) {
      const dt = Math.max(0.001, (now - previous.at) / 1000);
      const rate = (k) => Math.max(0, (varz[k] - previous.varz[k]) / dt);
      push("inMsgs", rate("in_msgs")); push("outMsgs", rate("out_msgs"));
      push("inBytes", rate("in_bytes")); push("outBytes", rate("out_bytes"));
      setText("in-msgs-rate", human(rate("in_msgs"))); setText("out-msgs-rate", human(rate("out_msgs")));
      setText("in-bytes-rate", human(rate("in_bytes"))); setText("out-bytes-rate", human(rate("out_bytes")));
    }
    previous = { at: now, varz };
    push("pending", renderJetStream(jsz));
    renderConnections(connz);
    draw("chart-connections", [{ data: series.connections, color: "#375c93" }]);
    draw("chart-subscriptions", [{ data: series.subscriptions, color: "#375c93" }]);
    draw("chart-msgs", [{ data: series.inMsgs, color: "#375c93" }, { data: series.outMsgs, color: "#34a574" }]);
    draw("chart-bytes", [{ data: series.inBytes, color: "#375c93" }, { data: series.outBytes, color: "#34a574" }]);
    draw("chart-slow", [{ data: series.slow, color: "#d9480f" }]);
    draw("chart-pending", [{ data: series.pending, color: "#8dc63f" }]);
    const status = document.getElementById("status");
    status.textContent = "updated " + new Date(now).toLocaleTimeString();
    status.className = "";
    document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
  } catch (err) {
    const status = document.getElementById("status");
    status.textContent = "error: " + err.message;
    status.className = "error";
  }
  setTimeout(poll, interval);
}
poll();
</script>
</body>
</html>
`;

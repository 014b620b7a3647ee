// MQTT publish -> subscribe throughput, 1 publisher and 1 subscriber, 128-byte payloads, at
// QoS 0 and QoS 1 (and QoS 1 to a persistent session, delivered by a JetStream consumer): nats-ts's MQTT listener against the Go nats-server's in the same run, with
// the ratio. A raw MQTT load generator (mqtt-packet) so the client is not the bottleneck.
// A benchmark, not a test.
//
//   pnpm --filter @nats-ts/mqtt build && node packages/mqtt/bench/throughput.mjs [--count 100000] [--rounds 3]
//   MQTT_BENCH_SYNC_INTERVAL=2m ...   nats-ts with Go's default JetStream sync interval
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate, parser as createParser } from "mqtt-packet";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const COUNT = arg("--count", 100_000);
/** Measured runs per server and row, servers alternating; the median is reported (the machine is shared). */
const ROUNDS = arg("--rounds", 3);
const PAYLOAD = Buffer.alloc(128, 0x61);
/** QoS 1 messages a publisher keeps in flight (MQTT.js's default receive maximum is similar). */
const WINDOW = 256;
const goBin = process.env.NATS_SERVER_BIN ?? "nats-server";

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForLine(child) {
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      if (buf.includes("\n")) resolve(buf.split("\n")[0]);
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

async function startNatsTs(dir) {
  const args = [fileURLToPath(new URL("./server.mjs", import.meta.url)), dir];
  if (process.env.MQTT_BENCH_SYNC_INTERVAL) args.push(process.env.MQTT_BENCH_SYNC_INTERVAL);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const { mqttPort } = JSON.parse(await waitForLine(child));
  return { port: mqttPort, stop: () => child.kill("SIGTERM") };
}

async function startGo(dir) {
  try {
    execFileSync(goBin, ["--version"], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  const [port, mqttPort] = [await freePort(), await freePort()];
  const conf = join(dir, "go.conf");
  writeFileSync(conf, `listen: "127.0.0.1:${port}"\nserver_name: go\njetstream { store_dir: "${join(dir, "go")}" }\nmqtt { listen: "127.0.0.1:${mqttPort}" }\n`);
  const child = spawn(goBin, ["-c", conf], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = tcpConnect({ host: "127.0.0.1", port: mqttPort }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port: mqttPort, stop: () => child.kill("SIGTERM") };
}

/** A raw MQTT connection: write packets, get decoded ones through a callback. */
async function client(port, clientId, onPacket, clean = true) {
  const socket = await new Promise((resolve, reject) => {
    const s = tcpConnect({ host: "127.0.0.1", port }, () => resolve(s));
    s.once("error", reject);
  });
  socket.setNoDelay(true);
  const p = createParser({ protocolVersion: 4 });
  let connack;
  const ready = new Promise((r) => (connack = r));
  p.on("packet", (pk) => (pk.cmd === "connack" ? connack() : onPacket(pk)));
  socket.on("data", (d) => p.parse(d));
  socket.write(generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean, clientId, keepalive: 0 }));
  await ready;
  return socket;
}

let runs = 0;

/** One measured run; `persistent` makes the subscriber a clean-session-0 client (JetStream consumer delivery on both servers). */
async function run(port, qos, persistent = false) {
  runs++;
  let received = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  let subacked;
  const subReady = new Promise((r) => (subacked = r));
  const sub = await client(
    port,
    `sub${qos}-${runs}`,
    (pk) => {
      if (pk.cmd === "suback") return subacked();
      if (pk.cmd !== "publish") return;
      if (pk.qos === 1) sub.write(generate({ cmd: "puback", messageId: pk.messageId }));
      if (++received === COUNT) done();
    },
    !persistent,
  );
  sub.write(generate({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: `bench/${runs}`, qos }] }));
  await subReady;
  let acked = 0;
  let sent = 0;
  let pump;
  const pub = await client(port, `pub${qos}-${runs}`, (pk) => {
    if (pk.cmd === "puback") {
      acked++;
      pump();
    }
  });
  const start = process.hrtime.bigint();
  pump = () => {
    if (qos === 0) {
      // Batches keep the socket busy without buffering everything in memory.
      while (sent < COUNT) {
        const batch = [];
        for (let i = 0; i < 1000 && sent < COUNT; i++, sent++) batch.push(generate({ cmd: "publish", topic: `bench/${runs}`, payload: PAYLOAD, qos: 0, retain: false, dup: false }));
        if (!pub.write(Buffer.concat(batch))) return void pub.once("drain", pump);
      }
      return;
    }
    const batch = [];
    while (sent < COUNT && sent - acked < WINDOW) {
      sent++;
      batch.push(generate({ cmd: "publish", topic: `bench/${runs}`, payload: PAYLOAD, qos: 1, messageId: (sent % 65535) + 1, retain: false, dup: false }));
    }
    if (batch.length > 0) pub.write(Buffer.concat(batch));
  };
  pump();
  await finished;
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  pub.destroy();
  sub.destroy();
  return COUNT / secs;
}

const dir = mkdtempSync(join(tmpdir(), "nats-ts-mqtt-bench-"));
try {
  const servers = [["nats-ts", await startNatsTs(join(dir, "ts"))], ["go", await startGo(dir)]];
  const results = {};
  for (const [label, qos, persistent] of [["QoS 0", 0, false], ["QoS 1", 1, false], ["QoS 1 persistent", 1, true]]) {
    const rates = {};
    for (const [name, s] of servers) {
      if (s === undefined) continue;
      await run(s.port, qos, persistent); // warm up
      rates[name] = [];
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, s] of servers) if (s !== undefined) rates[name].push(await run(s.port, qos, persistent));
    }
    for (const [name, list] of Object.entries(rates)) {
      const sorted = [...list].sort((a, b) => a - b);
      const rate = sorted[Math.floor(sorted.length / 2)];
      results[`${name} ${label}`] = rate;
      const spread = sorted.map((r) => Math.round(r / 1000)).join("/");
      console.log(`${name.padEnd(8)} ${label}: ${Math.round(rate).toLocaleString()} msgs/s median (${spread}k; ${COUNT} x 128 B)`);
    }
    const go = results[`go ${label}`];
    if (go) console.log(`ratio ${label}: nats-ts/go = ${(results[`nats-ts ${label}`] / go).toFixed(2)}`);
  }
  for (const [, s] of servers) s?.stop();
} finally {
  setTimeout(() => rmSync(dir, { recursive: true, force: true }), 500);
}

#!/usr/bin/env node
// JetStream publish benchmark: 128 B messages into a file stream through @nats-io/jetstream,
// synchronously (one at a time) and asynchronously (256 in flight).
// Runs against nats-ts (this package's dist; build first) and, when NATS_SERVER_BIN points at a
// Go nats-server, against Go with its default sync and with `sync_interval: always`.
//
//   pnpm --filter @nats-ts/jetstream build && node packages/jetstream/bench/publish.mjs
//   NATS_SERVER_BIN=/usr/sbin/nats-server SYNC_MSGS=2000 ASYNC_MSGS=50000 node packages/jetstream/bench/publish.mjs
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";

const SYNC_MSGS = Number(process.env.SYNC_MSGS ?? 2000);
const ASYNC_MSGS = Number(process.env.ASYNC_MSGS ?? 50_000);
const WINDOW = 256;
const payload = new Uint8Array(128).fill(120);

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Stops a server process and waits until it is gone (so its files can be removed). */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill();
  await exited;
}

async function run(url) {
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "BENCH", subjects: ["bench.>"], storage: "file" });
  const js = jetstream(nc);
  let t0 = performance.now();
  for (let i = 0; i < SYNC_MSGS; i++) await js.publish("bench.sync", payload);
  const sync = SYNC_MSGS / ((performance.now() - t0) / 1000);
  await jsm.streams.purge("BENCH");
  t0 = performance.now();
  const inflight = new Set();
  for (let i = 0; i < ASYNC_MSGS; i++) {
    const p = js.publish("bench.async", payload).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= WINDOW) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const async = ASYNC_MSGS / ((performance.now() - t0) / 1000);
  const info = await jsm.streams.info("BENCH");
  if (info.state.messages !== ASYNC_MSGS) throw new Error(`stored ${info.state.messages}, expected ${ASYNC_MSGS}`);
  await nc.close();
  return { sync, async };
}

/** nats-ts runs in its own process, like the Go server, so the client does not share its event loop. */
async function natsTs(sync) {
  const dir = mkdtempSync(join(tmpdir(), "bench-js-"));
  const child = spawn(process.execPath, [new URL("./server-child.mjs", import.meta.url).pathname, dir, sync], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (d) => {
        buf += d;
        if (buf.includes("\n")) resolve(JSON.parse(buf.slice(0, buf.indexOf("\n"))).port);
      });
      child.once("exit", (code) => reject(new Error(`nats-ts exited with ${code}`)));
    });
    return await run(`127.0.0.1:${port}`);
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function goServer(bin, syncAlways) {
  const dir = mkdtempSync(join(tmpdir(), "bench-go-"));
  const port = await freePort();
  const conf = join(dir, "js.conf");
  writeFileSync(conf, `jetstream { store_dir: "${join(dir, "sd")}"${syncAlways ? ", sync_interval: always" : ""} }\n`);
  const child = spawn(bin, ["-c", conf, "-a", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  try {
    const start = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(stderr.trim().split("\n").pop());
      try {
        const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
        await nc.close();
        break;
      } catch {
        if (Date.now() - start > 5000) throw new Error("Go server did not start");
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return await run(`127.0.0.1:${port}`);
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = [];
const fmt = (n) => Math.round(n).toLocaleString("en-US").padStart(10);
rows.push(["nats-ts (sync always, fsync before ack)", await natsTs("always")]);
rows.push(["nats-ts (sync_interval 2m)", await natsTs("2m")]);
const bin = process.env.NATS_SERVER_BIN;
if (bin) {
  for (const [label, always] of [["Go nats-server (default sync)", false], ["Go nats-server (sync_interval: always)", true]]) {
    try {
      rows.push([label, await goServer(bin, always)]);
    } catch (e) {
      rows.push([label, { error: e.message }]);
    }
  }
}
console.log(`JetStream publish, 128 B, file stream: sync ${SYNC_MSGS} msgs, async ${ASYNC_MSGS} msgs (window ${WINDOW})`);
console.log(`${"server".padEnd(42)} ${"sync msg/s".padStart(10)} ${"async msg/s".padStart(11)}`);
for (const [label, r] of rows) {
  console.log(r.error ? `${label.padEnd(42)} unavailable: ${r.error}` : `${label.padEnd(42)} ${fmt(r.sync)} ${fmt(r.async)} `);
}

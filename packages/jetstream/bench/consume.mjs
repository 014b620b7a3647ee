// JetStream consumer throughput: pull fetch (batch 500) and push, explicit acks, over a file
// stream of COUNT x SIZE byte messages, against nats-ts and (when NATS_SERVER_BIN is set) the Go
// nats-server in the same run. A benchmark, not a test: it prints figures and never fails on them.
//
//   pnpm --filter @nats-ts/server... build
//   NATS_SERVER_BIN=/usr/bin/nats-server node packages/jetstream/bench/consume.mjs
//   COUNT=200000 node packages/jetstream/bench/consume.mjs      (smaller run)
//   ONLY=pull (or push) runs one of the two consumers
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { serverKinds, startServer, killAllServers } from "../../../tooling/bench/src/servers.js";

const COUNT = Number(process.env.COUNT ?? 1_000_000);
const SIZE = Number(process.env.SIZE ?? 128);
const BATCH = 500;
const WINDOW = 1000;
const ONLY = process.env.ONLY ?? "";
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

process.on("SIGINT", () => {
  killAllServers();
  process.exit(130);
});

/** Publishes COUNT messages keeping WINDOW acks in flight. */
async function fill(js) {
  const payload = new Uint8Array(SIZE).fill(120);
  const inflight = new Set();
  for (let i = 0; i < COUNT; i++) {
    const p = js.publish("bench.data", payload).then(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= WINDOW) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}

async function pullFetch(js, jsm) {
  await jsm.consumers.add("BENCH", { durable_name: "pull", ack_policy: AckPolicy.Explicit, max_ack_pending: 20_000 });
  const c = await js.consumers.get("BENCH", "pull");
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let n = 0;
  let firstMsgWait = 0;
  while (n < COUNT) {
    const t0 = performance.now();
    let first = true;
    const iter = await c.fetch({ max_messages: BATCH, expires: 5000 });
    for await (const m of iter) {
      if (first) {
        firstMsgWait += performance.now() - t0;
        first = false;
      }
      m.ack();
      n++;
    }
  }
  if (process.env.DEBUG) console.log("client cpu ms", process.cpuUsage(cpu0), "first-message wait ms", firstMsgWait.toFixed(0));
  return elapsedRate(start, n);
}

async function push(js, jsm, nc) {
  const deliver = `_INBOX.bench.${Date.now()}`;
  await jsm.consumers.add("BENCH", {
    durable_name: "push",
    deliver_subject: deliver,
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 20_000,
    flow_control: true,
    idle_heartbeat: 5_000_000_000,
  });
  const c = await js.consumers.getPushConsumer("BENCH", "push");
  const start = performance.now();
  let n = 0;
  const iter = await c.consume();
  for await (const m of iter) {
    m.ack();
    if (++n >= COUNT) break;
  }
  await nc.flush();
  return elapsedRate(start, n);
}

function elapsedRate(start, n) {
  const secs = (performance.now() - start) / 1000;
  return { n, secs, rate: n / secs };
}

async function runOne(kind) {
  const dir = mkdtempSync(join(tmpdir(), `bench-consume-${kind.name}-`));
  const server = await startServer(kind, ["-js", "-sd", dir]);
  const nc = await connect({ servers: `${server.host}:${server.port}` });
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await jsm.streams.add({ name: "BENCH", subjects: ["bench.>"], storage: "file" });
    const t0 = performance.now();
    await fill(js);
    const fillSecs = (performance.now() - t0) / 1000;
    const none = { n: 0, secs: 0, rate: 0 };
    const pull = ONLY === "push" ? none : await pullFetch(js, jsm);
    const pushed = ONLY === "pull" ? none : await push(js, jsm, nc);
    return { name: kind.name, fillRate: COUNT / fillSecs, pull, push: pushed, rssMB: server.rssKB() / 1024 };
  } finally {
    await nc.close().catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const kinds = serverKinds(repoRoot);
const results = [];
for (const name of ["nats-ts", "go"]) {
  const kind = kinds[name]();
  if (typeof kind === "string") {
    console.log(`${name}: skipped (${kind})`);
    continue;
  }
  console.log(`${name}: ${COUNT} x ${SIZE} B ...`);
  results.push(await runOne(kind));
}

const fmt = (v) => Math.round(v).toLocaleString("en-US").padStart(11);
console.log(`\nJetStream consume, ${COUNT} x ${SIZE} B, explicit acks, file storage`);
console.log(`${"server".padEnd(8)} ${"publish/s".padStart(11)} ${"pull/s".padStart(11)} ${"push/s".padStart(11)} ${"rss MB".padStart(8)}`);
for (const r of results) {
  console.log(`${r.name.padEnd(8)} ${fmt(r.fillRate)} ${fmt(r.pull.rate)} ${fmt(r.push.rate)} ${r.rssMB.toFixed(0).padStart(8)}`);
}
const ts = results.find((r) => r.name === "nats-ts");
const go = results.find((r) => r.name === "go");
if (ts && go) {
  console.log(`ratio    ${"".padStart(11)} ${`${((ts.pull.rate / go.pull.rate) * 100).toFixed(0)}%`.padStart(11)} ${`${((ts.push.rate / go.push.rate) * 100).toFixed(0)}%`.padStart(11)}`);
}

// Storage benchmarks: prints figures, never fails on timing. Run through
// `pnpm --filter @nats-ts/storage bench` (builds dist first).
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore } from "../dist/index.js";

const base = process.env.BENCH_DIR ?? tmpdir();
const N_SMALL = Number(process.env.BENCH_MSGS ?? 1_000_000);
const dirs = [];
const newDir = () => {
  const d = mkdtempSync(join(base, "nats-ts-storage-bench-"));
  dirs.push(d);
  return d;
};
const mb = (bytes) => bytes / (1024 * 1024);
const fmt = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const rows = [];
const report = (name, value, unit, extra = "") => {
  rows.push([name, value, unit, extra]);
  console.log(`${name.padEnd(52)} ${fmt(value, value < 100 ? 2 : 0).padStart(14)} ${unit.padEnd(8)} ${extra}`);
};
const gc = () => globalThis.gc?.();

function diskSequentialWrite() {
  const dir = newDir();
  const file = join(dir, "seq.bin");
  const chunk = Buffer.alloc(1024 * 1024, 7);
  const total = 256;
  const fd = openSync(file, "w");
  const t0 = performance.now();
  for (let i = 0; i < total; i++) writeSync(fd, chunk, 0, chunk.length, i * chunk.length);
  fsyncSync(fd);
  const ms = performance.now() - t0;
  closeSync(fd);
  rmSync(file);
  return total / (ms / 1000);
}

/**
 * Stores `n` messages the way a busy stream receives them: the producer stores a chunk of
 * 1024 messages per event-loop turn (like one socket read's worth of publishes) and keeps at
 * most `window` messages unacknowledged, waiting for the oldest chunk's acknowledgement when
 * it has that many outstanding. Writes of earlier chunks overlap with storing later ones.
 */
async function storeMany(store, n, subjectOf, payload, window = 4096) {
  const chunk = 1024;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const outstanding = [];
  const nextTurn = () => new Promise((r) => setImmediate(r));
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + chunk);
    let last;
    for (; i < end; i++) last = store.storeMsg(subjectOf(i), null, payload);
    outstanding.push(last);
    if (outstanding.length * chunk >= window) await outstanding.shift();
    else await nextTurn();
  }
  await Promise.all(outstanding);
  const cpu = process.cpuUsage(cpu0);
  lastCpuNsPerMsg = ((cpu.user + cpu.system) * 1000) / n;
  return (performance.now() - t0) / 1000;
}

/** CPU time (all threads, user + system) per message of the last storeMany: less sensitive to load than rates. */
let lastCpuNsPerMsg = 0;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const REPS = Number(process.env.BENCH_REPS ?? 3);

async function main() {
  console.log(`node ${process.version}, dir ${base}, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}, ${REPS} repetitions (median; best in brackets)`);
  const diskRates = [];
  for (let r = 0; r < REPS; r++) diskRates.push(diskSequentialWrite());
  report("disk sequential write (1 MiB writes + fsync)", median(diskRates), "MB/s", `[${fmt(Math.max(...diskRates))}]`);

  // 1M x 128 B, sync interval; the last repetition's store is kept for the read benchmarks.
  const p128 = Buffer.alloc(128, 1);
  const rates128 = [];
  const cpu128 = [];
  let s;
  let dir1;
  let cfg1;
  let rssGrowth = 0;
  for (let r = 0; r < REPS; r++) {
    if (s) {
      await s.stop();
      rmSync(dir1, { recursive: true, force: true });
    }
    gc();
    const rssBefore = process.memoryUsage().rss;
    dir1 = newDir();
    cfg1 = { dir: dir1, sync: "interval", sync_interval: 2e9 };
    s = await FileStore.open(cfg1);
    const secs = await storeMany(s, N_SMALL, (i) => `bench.${i & 1023}`, p128);
    rates128.push(N_SMALL / secs);
    cpu128.push(lastCpuNsPerMsg);
    await s.flushAllPending();
    gc();
    if (r === 0) rssGrowth = process.memoryUsage().rss - rssBefore;
  }
  const m128 = median(rates128);
  report(`storeMsg ${fmt(N_SMALL)} x 128 B (sync interval)`, m128, "msgs/s", `[${fmt(Math.max(...rates128))}] ${fmt(mb(m128 * 128), 1)} MB/s payload, ${fmt(median(cpu128))} ns CPU/msg`);
  report("RSS growth per 1M stored messages", mb(rssGrowth) * (1_000_000 / N_SMALL), "MB", "(includes 32 MiB block cache + write block)");
  report("index memory per stored message", s.indexMemory() / N_SMALL, "bytes", "(sequence, subject and per-block indexes)");

  // Random loadMsg over the store.
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const loads = 1_000_000;
  let secs;
  let t0 = performance.now();
  for (let i = 0; i < loads; i++) s.loadMsg(1 + Math.floor(rand() * N_SMALL));
  secs = (performance.now() - t0) / 1000;
  report(`loadMsg random seq over ${fmt(N_SMALL)} msgs`, loads / secs, "ops/s");

  // Recovery.
  await s.stop();
  gc();
  t0 = performance.now();
  s = await FileStore.open(cfg1);
  secs = (performance.now() - t0) / 1000;
  report(`recovery of ${fmt(N_SMALL)}-message store`, secs, "s", `${fmt(s.state().msgs)} msgs recovered`);
  await s.stop();
  rmSync(dir1, { recursive: true, force: true });

  // 100k x 1 KB, sync interval, each repetition against a disk measurement taken just before.
  const n1k = 100_000;
  const p1k = Buffer.alloc(1024, 2);
  const ratios = [];
  const rates1k = [];
  const cpu1k = [];
  for (let r = 0; r < REPS; r++) {
    const disk = diskSequentialWrite();
    s = await FileStore.open({ dir: newDir(), sync: "interval", sync_interval: 2e9 });
    secs = await storeMany(s, n1k, (i) => `kb.${i & 255}`, p1k);
    await s.stop();
    rates1k.push(mb(n1k * 1024) / secs);
    cpu1k.push(lastCpuNsPerMsg);
    ratios.push(mb(n1k * 1024) / secs / disk);
  }
  const mbs1k = median(rates1k);
  report(`storeMsg ${fmt(n1k)} x 1 KB (sync interval)`, (mbs1k * 1024 * 1024) / 1024, "msgs/s", `${fmt(mbs1k, 1)} MB/s = ${fmt(100 * median(ratios), 0)}% of disk [best ${fmt(100 * Math.max(...ratios), 0)}%], ${fmt(median(cpu1k))} ns CPU/msg`);

  // sync always, 256 concurrent writers.
  s = await FileStore.open({ dir: newDir(), sync: "always" });
  const perWriter = 80;
  t0 = performance.now();
  await Promise.all(Array.from({ length: 256 }, async (_, w) => {
    for (let i = 0; i < perWriter; i++) await s.storeMsg(`w.${w}`, null, p128);
  }));
  secs = (performance.now() - t0) / 1000;
  report("storeMsg sync always, 256 concurrent writers", (256 * perWriter) / secs, "msgs/s", `${fmt(mb(256 * perWriter * 128) / secs, 2)} MB/s payload`);
  await s.stop();

  // loadLastMsg over 100k distinct subjects.
  const nsubj = 100_000;
  s = await FileStore.open({ dir: newDir(), sync: "interval", sync_interval: 2e9 });
  await storeMany(s, nsubj, (i) => `kv.key.${i}`, p128);
  t0 = performance.now();
  for (let i = 0; i < nsubj; i++) s.loadLastMsg(`kv.key.${Math.floor(rand() * nsubj)}`);
  secs = (performance.now() - t0) / 1000;
  report(`loadLastMsg over ${fmt(nsubj)} distinct subjects`, nsubj / secs, "ops/s");
  await s.stop();

  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  console.log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}

await main();

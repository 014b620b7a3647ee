import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, expect, test } from "vitest";
import { FileStore } from "../src/index.js";
import { prng } from "./helpers.js";
import { crashPayload } from "./fixtures/crash-payload.js";
import { tempDir } from "./helpers.js";

// A child process stores messages concurrently (and removes some) and reports each
// acknowledged sequence; the parent kill -9s it at a random moment, reopens the store and
// checks that every acknowledged message that was not removed is there with its exact bytes,
// that only removed sequences are missing, that every removal confirmed durable (removeMsg then
// flushAllPending) stayed removed, and that the recovered state matches a scan.
// The same directory is reused across rounds, so recovery also runs on recovered stores.

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 50);
let childScript = "";

beforeAll(async () => {
  // Dependencies stay external and resolve from the package's node_modules, as in production.
  const out = mkdtempSync(join(import.meta.dirname, "..", "node_modules", ".crash-bundle-"));
  childScript = join(out, "crash-writer.mjs");
  await build({
    entryPoints: [join(import.meta.dirname, "fixtures", "crash-writer.ts")],
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: childScript,
    logLevel: "silent",
  });
});

afterAll(() => rmSync(dirname(childScript), { recursive: true, force: true }));

interface Ack {
  writer: number;
  counter: number;
}

function runRound(dir: string, sync: "always" | "interval", compression: "s2" | "none", killAfterMs: number, removed: Set<number>, confirmed: Set<number>): Promise<Map<number, Ack>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, dir, sync, "16", compression], { stdio: ["ignore", "pipe", "pipe"] });
    const acks = new Map<number, Ack>();
    let buf = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith("ready")) {
          timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
          continue;
        }
        if (line.startsWith("r ")) {
          removed.add(Number(line.slice(2)));
          continue;
        }
        if (line.startsWith("R ")) {
          confirmed.add(Number(line.slice(2)));
          continue;
        }
        const [seq, writer, counter] = line.split(" ").map(Number);
        acks.set(seq, { writer, counter });
      }
    });
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.on("exit", (_code, signal) => {
      clearTimeout(timer);
      if (signal !== "SIGKILL") reject(new Error(`writer exited on its own: ${stderr}`));
      else resolve(acks);
    });
  });
}

async function verify(dir: string, round: number, acked: Map<number, Ack>, removed: Set<number>, confirmed: Set<number>, scanFrom: number): Promise<void> {
  const store = await FileStore.open({ dir, sync: "interval" });
  try {
    const bad = store.warnings.filter((w) => w.kind !== "truncated-block");
    expect(bad, `round ${round}: unexpected damage`).toEqual([]);
    // A removal the writer saw confirmed stays removed.
    for (const seq of confirmed) expect(() => store.loadMsg(seq), `round ${round}: removed seq ${seq} came back`).toThrow();
    for (const [seq, a] of acked) {
      // A message the writer set out to remove may or may not be gone; if present it is intact.
      let m;
      try {
        m = store.loadMsg(seq);
      } catch (e) {
        if (removed.has(seq)) continue;
        throw e;
      }
      expect(m.subject).toBe(`crash.${a.writer}`);
      expect(Buffer.from(m.msg).equals(crashPayload(a.writer, a.counter)), `round ${round} seq ${seq}`).toBe(true);
      expect(Buffer.from(m.hdr).toString()).toBe(a.counter % 3 === 0 ? `W:${a.writer}` : "");
    }
    // Counters agree with a scan: every sequence in range is either a live message or
    // recorded as deleted, and only sequences the writer removed can be deleted.
    const st = store.state();
    expect(st.msgs).toBe(st.lastSeq - st.firstSeq + 1 - st.numDeleted);
    for (const d of st.deleted ?? []) expect(removed.has(d), `seq ${d} deleted but never removed`).toBe(true);
    for (let seq = 1; seq < st.firstSeq; seq++) expect(removed.has(seq), `seq ${seq} below first but never removed`).toBe(true);
    const deleted = new Set(st.deleted ?? []);
    let live = 0;
    let bytes = 0;
    for (let seq = Math.max(scanFrom, st.firstSeq); seq <= st.lastSeq; seq++) {
      if (deleted.has(seq)) continue;
      const m = store.loadMsg(seq);
      live++;
      bytes += 22 + m.subject.length + m.msg.length + 8 + (m.hdr.length > 0 ? 4 + m.hdr.length : 0);
    }
    if (scanFrom === 1) {
      expect(live).toBe(st.msgs);
      expect(st.bytes).toBe(bytes);
    }
  } finally {
    await store.stop();
  }
}

test(`crash test: ${ROUNDS} rounds of kill -9 during concurrent stores lose no acknowledged message`, async () => {
  const dir = tempDir("crash-store-");
  const rnd = prng(2024);
  const everAcked = new Map<number, Ack>();
  const removed = new Set<number>();
  const confirmed = new Set<number>();
  let totalAcked = 0;
  let scannedUpTo = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const sync = round % 3 === 2 ? "interval" : "always";
    // Every other round compresses sealed blocks, so kills also land in block rewrites.
    const compression = round % 2 === 1 ? "s2" : "none";
    const acks = await runRound(dir, sync, compression, 20 + rnd(120), removed, confirmed);
    totalAcked += acks.size;
    for (const [seq, a] of acks) everAcked.set(seq, a);

    // Each round checks its own acknowledgements and the newly written range; the final
    // reopen checks everything ever acknowledged.
    await verify(dir, round, round === ROUNDS - 1 ? everAcked : acks, removed, confirmed, round === ROUNDS - 1 ? 1 : scannedUpTo + 1);
    scannedUpTo = Math.max(scannedUpTo, ...acks.keys());
  }
  expect(totalAcked).toBeGreaterThan(ROUNDS * 10);
  expect(confirmed.size).toBeGreaterThan(ROUNDS);
}, 180_000);

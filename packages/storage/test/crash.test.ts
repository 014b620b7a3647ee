import { spawn } from "node:child_process";
import { join } from "node:path";
import { build } from "esbuild";
import { beforeAll, expect, test } from "vitest";
import { FileStore } from "../src/index.js";
import { prng } from "./helpers.js";
import { crashPayload } from "./fixtures/crash-payload.js";
import { tempDir } from "./helpers.js";

// A child process stores messages concurrently and reports each acknowledged sequence; the
// parent kill -9s it at a random moment, reopens the store and checks that every acknowledged
// message is there with its exact bytes and that the recovered state matches a full scan.
// The same directory is reused across rounds, so recovery also runs on recovered stores.

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 50);
let childScript = "";

beforeAll(async () => {
  childScript = join(tempDir("crash-bundle-"), "crash-writer.mjs");
  await build({
    entryPoints: [join(import.meta.dirname, "fixtures", "crash-writer.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: childScript,
    conditions: ["@nats-ts/source"],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: "silent",
  });
});

interface Ack {
  writer: number;
  counter: number;
}

function runRound(dir: string, sync: "always" | "interval", killAfterMs: number): Promise<Map<number, Ack>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, dir, sync, "16"], { stdio: ["ignore", "pipe", "pipe"] });
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

async function verify(dir: string, round: number, acked: Map<number, Ack>, scanFrom: number): Promise<void> {
  const store = await FileStore.open({ dir, sync: "interval" });
  try {
    const bad = store.warnings.filter((w) => w.kind !== "truncated-block");
    expect(bad, `round ${round}: unexpected damage`).toEqual([]);
    for (const [seq, a] of acked) {
      const m = store.loadMsg(seq);
      expect(m.subject).toBe(`crash.${a.writer}`);
      expect(Buffer.from(m.msg).equals(crashPayload(a.writer, a.counter)), `round ${round} seq ${seq}`).toBe(true);
      expect(Buffer.from(m.hdr).toString()).toBe(a.counter % 3 === 0 ? `W:${a.writer}` : "");
    }
    // Only stores happen, so the recovered range is contiguous, fully live, and the
    // counters agree with what a scan finds.
    const st = store.state();
    expect(st.numDeleted).toBe(0);
    if (st.msgs > 0) expect(st.firstSeq).toBe(1);
    expect(st.msgs).toBe(st.lastSeq);
    let bytes = 0;
    for (let seq = scanFrom; seq <= st.lastSeq; seq++) {
      const m = store.loadMsg(seq);
      bytes += 22 + m.subject.length + m.msg.length + 8 + (m.hdr.length > 0 ? 4 + m.hdr.length : 0);
    }
    if (scanFrom === 1) expect(st.bytes).toBe(bytes);
  } finally {
    await store.stop();
  }
}

test(`crash test: ${ROUNDS} rounds of kill -9 during concurrent stores lose no acknowledged message`, async () => {
  const dir = tempDir("crash-store-");
  const rnd = prng(2024);
  const everAcked = new Map<number, Ack>();
  let totalAcked = 0;
  let scannedUpTo = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const sync = round % 3 === 2 ? "interval" : "always";
    const acks = await runRound(dir, sync, 20 + rnd(120));
    totalAcked += acks.size;
    for (const [seq, a] of acks) everAcked.set(seq, a);

    // Each round checks its own acknowledgements and the newly written range; the final
    // reopen checks everything ever acknowledged.
    await verify(dir, round, round === ROUNDS - 1 ? everAcked : acks, round === ROUNDS - 1 ? 1 : scannedUpTo + 1);
    scannedUpTo = Math.max(scannedUpTo, ...acks.keys());
  }
  expect(totalAcked).toBeGreaterThan(ROUNDS * 10);
}, 120_000);

/**
 * Commit throughput and latency of a 3-node group in one process, WAL fsync on:
 * once over the in-memory transport and once over TCP on loopback.
 * Usage: pnpm --filter @nats-ts/raft bench [--seconds S] [--inflight N] [--size BYTES]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MemoryNetwork, RaftNode, TcpTransport, type StateMachine, type Transport } from "../src/index.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    inflight: { type: "string", default: "64" },
    size: { type: "string", default: "128" },
  },
});
const seconds = Number(values.seconds);
const inflight = Number(values.inflight);
const payload = new Uint8Array(Number(values.size)).fill(120);
const IDS = ["a", "b", "c"];

class Counter implements StateMachine {
  n = 0;
  apply(): void {
    this.n++;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.n));
  }
  restore(data: Uint8Array): void {
    this.n = Number(new TextDecoder().decode(data));
  }
}

async function cluster(transports: Transport[], dirs: string[]): Promise<RaftNode[]> {
  return Promise.all(
    IDS.map((id, i) =>
      RaftNode.start({ id, dir: dirs[i], transport: transports[i], stateMachine: new Counter(), bootstrap: { voters: IDS }, tickMs: 20, snapshotEvery: 50_000 }),
    ),
  );
}

async function waitLeader(nodes: RaftNode[]): Promise<RaftNode> {
  for (;;) {
    const l = nodes.find((n) => n.isLeader());
    if (l) return l;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Keeps `depth` proposals outstanding for the given time; returns throughput and latencies. */
async function drive(leader: RaftNode, depth: number, ms: number): Promise<{ perSec: number; p50: number; p99: number; count: number }> {
  const latencies: number[] = [];
  const end = performance.now() + ms;
  let count = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await leader.propose(payload);
      latencies.push(performance.now() - t0);
      count++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: depth }, worker));
  const elapsed = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return { perSec: (count / elapsed) * 1000, p50: percentile(latencies, 50), p99: percentile(latencies, 99), count };
}

async function run(name: string, makeTransports: () => Promise<Transport[]>): Promise<void> {
  const dirs = await Promise.all(IDS.map(() => mkdtemp(join(tmpdir(), "raft-bench-"))));
  const nodes = await cluster(await makeTransports(), dirs);
  try {
    const leader = await waitLeader(nodes);
    await drive(leader, inflight, 500); // warm-up
    const loaded = await drive(leader, inflight, seconds * 1000);
    const single = await drive(leader, 1, Math.min(2000, seconds * 1000));
    console.log(
      `${name.padEnd(10)} ${inflight} in flight: ${Math.round(loaded.perSec).toString().padStart(7)} commits/s  p50 ${loaded.p50.toFixed(2)} ms  p99 ${loaded.p99.toFixed(2)} ms` +
        ` | 1 in flight: ${Math.round(single.perSec)} commits/s  p50 ${single.p50.toFixed(2)} ms  p99 ${single.p99.toFixed(2)} ms`,
    );
  } finally {
    for (const n of nodes) await n.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
}

console.log(`raft bench: 3 nodes in one process, WAL fsync on, ${payload.length}-byte proposals, ${seconds}s per run`);
await run("memory", async () => {
  const net = new MemoryNetwork();
  return IDS.map((id) => net.transport(id));
});
await run("tcp", async () => {
  const ts = await Promise.all(IDS.map((id) => TcpTransport.listen({ id, listen: { host: "127.0.0.1", port: 0 } })));
  const addrs = ts.map((t) => t.address);
  for (const t of ts) IDS.forEach((id, i) => t.setPeer(id, addrs[i]));
  return ts;
});

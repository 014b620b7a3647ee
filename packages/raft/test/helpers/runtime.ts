import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RaftNode, type RaftNodeOptions, type StateMachine } from "../../src/runtime/node.js";
import type { Transport } from "../../src/runtime/transport.js";

/** A state machine adding up integer deltas, like the Go tests' stateAdder. */
export class Adder implements StateMachine {
  total = 0;
  applied = 0;
  apply(e: { index: number; data: Uint8Array }): void {
    this.total += Number(Buffer.from(e.data).toString());
    this.applied = e.index;
  }
  snapshot(): Uint8Array {
    return Buffer.from(String(this.total));
  }
  restore(data: Uint8Array): void {
    this.total = Number(Buffer.from(data).toString());
  }
}

export const num = (n: number): Uint8Array => Buffer.from(String(n));

/** Polls `cond` every few milliseconds until it holds or `ms` pass. */
export async function waitFor(cond: () => boolean, ms = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export class TempDirs {
  private dirs: string[] = [];
  async make(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), "raft-node-"));
    this.dirs.push(d);
    return d;
  }
  async cleanup(): Promise<void> {
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}

export interface RunningNode {
  id: string;
  dir: string;
  sm: Adder;
  node: RaftNode;
}

export async function startNode(
  id: string,
  dir: string,
  transport: Transport,
  extra: Partial<RaftNodeOptions> = {},
): Promise<RunningNode> {
  const sm = new Adder();
  const node = await RaftNode.start({ id, dir, transport, stateMachine: sm, tickMs: 10, ...extra });
  return { id, dir, sm, node };
}

export async function waitForLeader(nodes: RunningNode[], ms = 10_000): Promise<RunningNode> {
  let found: RunningNode | undefined;
  await waitFor(() => (found = nodes.find((n) => n.node.isLeader())) !== undefined, ms, "a leader");
  return found!;
}

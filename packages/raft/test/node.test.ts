import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { NotLeaderError, NodeStoppedError } from "../src/runtime/node.js";
import { TcpTransport } from "../src/runtime/tcp-transport.js";
import { MemoryNetwork } from "../src/runtime/transport.js";
import { TempDirs, num, startNode, waitFor, waitForLeader, type RunningNode } from "./helpers/runtime.js";

const dirs = new TempDirs();
let running: RunningNode[] = [];
afterEach(async () => {
  for (const n of running) await n.node.stop();
  running = [];
  await dirs.cleanup();
});

async function memoryCluster(ids: string[], net = new MemoryNetwork(), extra = {}): Promise<{ net: MemoryNetwork; nodes: RunningNode[] }> {
  const nodes: RunningNode[] = [];
  for (const id of ids) {
    nodes.push(await startNode(id, await dirs.make(), net.transport(id), { bootstrap: { voters: ids }, ...extra }));
  }
  running.push(...nodes);
  return { net, nodes };
}

describe("RaftNode over the in-memory transport", () => {
  test("TestNRGSimple: proposals are applied on every node", async () => {
    const { nodes } = await memoryCluster(["a", "b", "c"]);
    const leader = await waitForLeader(nodes);
    await leader.node.propose(num(22));
    await leader.node.propose(num(-11));
    const ticket = await leader.node.propose(num(-10));
    await waitFor(() => nodes.every((n) => n.sm.applied >= ticket.index), 5000, "apply everywhere");
    expect(nodes.map((n) => n.sm.total)).toEqual([1, 1, 1]);
    expect(leader.node.peers().voters).toEqual(["a", "b", "c"]);
    expect(leader.node.health().peers.map((p) => p.id).sort()).toEqual(["a", "b", "c"].filter((x) => x !== leader.id));
  });

  test("an isolated leader steps down, the majority elects anew, and it rejoins as follower", async () => {
    const net = new MemoryNetwork();
    const { nodes } = await memoryCluster(["a", "b", "c"], net);
    const old = await waitForLeader(nodes);
    await old.node.propose(num(1));
    net.isolate(old.id);
    const rest = nodes.filter((n) => n !== old);
    const next = await waitForLeader(rest);
    await next.node.propose(num(2));
    await waitFor(() => !old.node.isLeader(), 5000, "old leader to step down");
    net.heal();
    await waitFor(() => old.sm.total === 3 && old.node.leader() === next.id, 5000, "old leader to rejoin");
    expect(old.node.term()).toBe(next.node.term());
  });

  test("followers refuse proposals with the leader's name", async () => {
    const { nodes } = await memoryCluster(["a", "b", "c"]);
    const leader = await waitForLeader(nodes);
    const follower = nodes.find((n) => n !== leader)!;
    await waitFor(() => follower.node.leader() === leader.id);
    const err = await follower.node.propose(num(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotLeaderError);
    expect((err as NotLeaderError).leader).toBe(leader.id);
  });

  test("TestNRGSnapshotAndRestart: a node restarted from its WAL and snapshot converges", async () => {
    const net = new MemoryNetwork();
    const { nodes } = await memoryCluster(["a", "b", "c"], net, { snapshotEvery: 20 });
    const leader = await waitForLeader(nodes);
    const member = nodes.find((n) => n !== leader)!;
    let expected = 0;
    for (let i = 0; i < 60; i++) {
      expected += i;
      await leader.node.propose(num(i));
      if (i === 30) {
        await member.node.stop();
        running = running.filter((r) => r !== member);
      }
    }
    expect((await stat(join(member.dir, "snapshot"))).size).toBeGreaterThan(0);
    const back = await startNode(member.id, member.dir, net.transport(member.id));
    running.push(back);
    await waitFor(() => back.sm.total === expected, 10_000, "restarted node to converge");
    expect(back.node.health().recovering).toBe(false);
  });

  test("mid-log WAL corruption is cut off on restart; the node recovers from the leader before voting", async () => {
    const net = new MemoryNetwork();
    const { nodes } = await memoryCluster(["a", "b", "c"], net, { snapshotEvery: 0 });
    const leader = await waitForLeader(nodes);
    for (let i = 1; i <= 20; i++) await leader.node.propose(num(1));
    const victim = nodes.find((n) => n !== leader)!;
    await waitFor(() => victim.sm.total === 20);
    await victim.node.stop();
    running = running.filter((r) => r !== victim);
    const log = join(victim.dir, "log");
    const buf = await readFile(log);
    buf[Math.floor(buf.length / 2)] ^= 0x40;
    await writeFile(log, buf);
    const back = await startNode(victim.id, victim.dir, net.transport(victim.id));
    running.push(back);
    expect(back.node.walCorruption?.tornWrite).toBe(false);
    expect(back.node.health().recovering).toBe(true);
    await leader.node.propose(num(5));
    await waitFor(() => back.sm.total === 25 && !back.node.health().recovering, 10_000, "recovery");
  });

  test("TestNRGTruncateOnStartup: a half-written last record is cut off and the node rejoins without recovery", async () => {
    const net = new MemoryNetwork();
    const { nodes } = await memoryCluster(["a", "b", "c"], net, { snapshotEvery: 0 });
    const leader = await waitForLeader(nodes);
    for (let i = 1; i <= 10; i++) await leader.node.propose(num(2));
    const victim = nodes.find((n) => n !== leader)!;
    await waitFor(() => victim.sm.total === 20);
    await victim.node.stop();
    running = running.filter((r) => r !== victim);
    // A crash in the middle of the next write: the header promises more than was written.
    const torn = Buffer.alloc(12);
    torn.writeUInt32LE(200, 0);
    await writeFile(join(victim.dir, "log"), Buffer.concat([await readFile(join(victim.dir, "log")), torn]));
    for (let i = 1; i <= 5; i++) await leader.node.propose(num(1));
    const back = await startNode(victim.id, victim.dir, net.transport(victim.id));
    running.push(back);
    expect(back.node.walCorruption).toMatchObject({ reason: "truncated record", tornWrite: true });
    expect(back.node.health().recovering).toBe(false);
    await waitFor(() => back.sm.total === 25, 10_000, "catch up");
  });

  test("membership changes, stepdown and leadership transfer through the node API", async () => {
    const net = new MemoryNetwork();
    const { nodes } = await memoryCluster(["a", "b", "c"], net);
    const leader = await waitForLeader(nodes);
    const d = await startNode("d", await dirs.make(), net.transport("d"));
    running.push(d);
    await leader.node.proposeAddPeer("d");
    expect(leader.node.peers().voters).toContain("d");
    await leader.node.propose(num(3));
    await waitFor(() => d.sm.total === 3, 5000, "new peer to apply");
    await leader.node.proposeRemovePeer("d");
    expect(leader.node.peers().voters).not.toContain("d");
    const target = nodes.find((n) => n !== leader)!;
    expect(leader.node.transferLeadership(target.id)).toBe(true);
    await waitFor(() => target.node.isLeader(), 5000, "transfer");
    expect(target.node.stepdown()).toBe(true);
    await waitFor(() => !target.node.isLeader(), 5000, "stepdown");
  });

  test("TestNRGRemoveLeaderPeerDeadlockBug: a leader removing itself hands over without deadlock", async () => {
    const { nodes } = await memoryCluster(["a", "b", "c"]);
    const leader = await waitForLeader(nodes);
    await leader.node.proposeRemovePeer(leader.id);
    const rest = nodes.filter((n) => n !== leader);
    const next = await waitForLeader(rest);
    expect(next.id).not.toBe(leader.id);
    expect(next.node.peers().voters).toEqual(rest.map((n) => n.id).sort());
    await next.node.propose(num(1));
  });

  test("TestNRGMultipleStopsDontPanic: stopping twice is harmless and pending calls fail cleanly", async () => {
    const { nodes } = await memoryCluster(["solo"]);
    const [n] = nodes;
    await waitForLeader(nodes);
    await n.node.stop();
    await n.node.stop();
    await expect(n.node.propose(num(1))).rejects.toBeInstanceOf(NodeStoppedError);
  });

  test("TestNRGDoesntRequestVoteOnWriteError: a node whose WAL write fails stops instead of campaigning", async () => {
    const net = new MemoryNetwork();
    const { nodes } = await memoryCluster(["a", "b", "c"], net);
    const leader = await waitForLeader(nodes);
    const victim = nodes.find((n) => n !== leader)!;
    // Pull the disk out from under the follower: its next write fails.
    await (victim.node as unknown as { wal: { close(): Promise<void> } }).wal.close();
    await leader.node.propose(num(1)).catch(() => undefined);
    await waitFor(() => victim.node.error !== null, 5000, "write failure");
    expect(victim.node.isLeader()).toBe(false);
    const term = victim.node.term();
    await new Promise((r) => setTimeout(r, 300));
    expect(victim.node.term()).toBe(term);
    await expect(victim.node.propose(num(1))).rejects.toBe(victim.node.error);
    // The other two carry on.
    await leader.node.propose(num(2));
  });

  test("onLeaderChange reports elections", async () => {
    const net = new MemoryNetwork();
    const seen: (string | null)[] = [];
    const { nodes } = await memoryCluster(["solo"], net);
    nodes[0].node.onLeaderChange((l) => seen.push(l));
    await waitForLeader(nodes);
    await waitFor(() => seen.includes("solo"));
  });
});

describe("RaftNode over TCP (loopback)", () => {
  test("a three-node group elects, replicates and survives a leader restart", async () => {
    const ids = ["a", "b", "c"];
    const transports = await Promise.all(ids.map((id) => TcpTransport.listen({ id, listen: { host: "127.0.0.1", port: 0 } })));
    const addresses = transports.map((t) => t.address);
    for (const t of transports) ids.forEach((id, i) => t.setPeer(id, addresses[i]));
    const nodes: RunningNode[] = [];
    for (let i = 0; i < ids.length; i++) nodes.push(await startNode(ids[i], await dirs.make(), transports[i], { bootstrap: { voters: ids } }));
    running.push(...nodes);
    const leader = await waitForLeader(nodes);
    for (let i = 0; i < 20; i++) await leader.node.propose(num(1));
    await waitFor(() => nodes.every((n) => n.sm.total === 20), 5000, "replication over TCP");
    // Restart the leader on a new port; the others learn the new address.
    const port = addresses[ids.indexOf(leader.id)];
    await leader.node.stop();
    running = running.filter((r) => r !== leader);
    const others = nodes.filter((n) => n !== leader);
    const next = await waitForLeader(others);
    await next.node.propose(num(5));
    const t = await TcpTransport.listen({ id: leader.id, listen: { host: "127.0.0.1", port: port.port } });
    ids.forEach((id, i) => t.setPeer(id, addresses[i]));
    const back = await startNode(leader.id, leader.dir, t);
    running.push(back);
    await waitFor(() => back.sm.total === 25, 10_000, "restarted leader to catch up");
  });

  test("a malformed frame closes only that connection", async () => {
    const t = await TcpTransport.listen({ id: "x", listen: { host: "127.0.0.1", port: 0 } });
    const got: string[] = [];
    t.onMessage((m) => got.push(m.type));
    const { connect } = await import("node:net");
    const s = connect(t.address.port, "127.0.0.1");
    await new Promise((r) => s.once("connect", r));
    const closed = new Promise((r) => s.once("close", r));
    s.write(Buffer.from([3, 0, 0, 0, 255, 1, 2]));
    await waitFor(() => t.protocolErrors === 1, 2000, "protocol error");
    await closed;
    const peer = await TcpTransport.listen({ id: "y", listen: { host: "127.0.0.1", port: 0 } });
    peer.setPeer("x", t.address);
    peer.send({ type: "timeoutNow", term: 1, from: "y", to: "x" });
    await waitFor(() => got.length === 1, 2000, "good message after a bad one");
    await peer.close();
    await t.close();
  });
});

import { afterEach, describe, expect, test } from "vitest";
import { memberConf, numRoutes, outMsgsTo, remoteSubjects, routePortOf, routezOf, Topology, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

/** A seed and two members; C only knows B, so it must learn A through gossip. */
async function threeNodes() {
  const a = await topo.inProcess(memberConf({ name: "A", cluster: "c1", port: -1 }));
  const b = await topo.inProcess(memberConf({ name: "B", cluster: "c1", port: -1, routes: [routePortOf(a)] }));
  const c = await topo.inProcess(memberConf({ name: "C", cluster: "c1", port: -1, routes: [routePortOf(b)] }));
  await waitFor("full mesh", () => [a, b, c].every((s) => numRoutes(s.server) === 2));
  return { a, b, c };
}

describe("routes: full mesh", () => {
  test("a node that knows one seed joins the full mesh through gossip", async () => {
    const { a, b, c } = await threeNodes();
    const ids = (s: typeof a) => [...new Set(routezOf(s.server).routes.map((r) => r.remote_id))].sort();
    expect(ids(a)).toEqual([b.server.id, c.server.id].sort());
    expect(ids(c)).toEqual([a.server.id, b.server.id].sort());
    // C reached A through gossip: not configured (none of the pooled connections).
    const routesOfC = routezOf(c.server).routes;
    expect(routesOfC.filter((r) => r.remote_id === a.server.id).every((r) => r.is_configured === false)).toBe(true);
    expect(routesOfC.filter((r) => r.remote_id === b.server.id).every((r) => r.is_configured === true)).toBe(true);
  });

  test("pub/sub across nodes, request/reply across nodes", async () => {
    const { a, b, c } = await threeNodes();
    const subA = await topo.client(a.url);
    const pubC = await topo.client(c.url);
    const got: string[] = [];
    const sub = subA.subscribe("orders.>", { callback: (_e, m) => { got.push(`${m.subject}:${m.string()}`); } });
    await subA.flush();
    await waitFor("interest on C", async () => {
      pubC.publish("orders.probe", "x");
      await pubC.flush();
      return got.length > 0;
    });
    const real = () => got.filter((g) => !g.startsWith("orders.probe"));
    for (let i = 0; i < 10; i++) pubC.publish(`orders.${i}`, String(i));
    await pubC.flush();
    await waitFor("10 messages", () => real().length === 10);
    expect(real()).toEqual(Array.from({ length: 10 }, (_, i) => `orders.${i}:${i}`));
    sub.unsubscribe();

    const responder = await topo.client(b.url);
    responder.subscribe("svc.echo", { callback: (_e, m) => { m.respond(`echo ${m.string()}`); } });
    await responder.flush();
    const reply = await waitFor("a reply across the cluster", () => pubC.request("svc.echo", "hi", { timeout: 500 }).catch(() => undefined));
    expect(reply.string()).toBe("echo hi");
  });

  test("queue group: each message delivered exactly once cluster-wide, members on every node", async () => {
    const { a, b, c } = await threeNodes();
    const counts = new Map<string, number>();
    const perNode = { A: 0, B: 0, C: 0 };
    for (const [name, s] of [["A", a], ["B", b], ["C", c]] as const) {
      const nc = await topo.client(s.url);
      for (let i = 0; i < 2; i++) {
        nc.subscribe("work", {
          queue: "workers",
          callback: (_e, m) => {
            counts.set(m.string(), (counts.get(m.string()) ?? 0) + 1);
            perNode[name]++;
          },
        });
      }
      await nc.flush();
    }
    // Every node knows of the others' members (weight 2 each).
    await waitFor("queue interest everywhere", () =>
      [a, b, c].every((s) => [a, b, c].every((o) => o === s || remoteSubjects(s.server, o.server.id).includes("work"))),
    );
    const pub = await topo.client(a.url);
    const N = 300;
    for (let i = 0; i < N; i++) pub.publish("work", String(i));
    await pub.flush();
    await waitFor("all delivered", () => counts.size === N);
    // Give stragglers (duplicates) a chance to show up before checking.
    const check = await topo.client(b.url);
    await check.flush();
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(perNode.A + perNode.B + perNode.C).toBe(N);
    expect(perNode.B).toBeGreaterThan(0);
    expect(perNode.C).toBeGreaterThan(0);
  });

  test("interest removal: after unsubscribe the route carries no more traffic", async () => {
    const { a, c } = await threeNodes();
    const subA = await topo.client(a.url);
    const pubC = await topo.client(c.url);
    let n = 0;
    const sub = subA.subscribe("gone", { callback: () => { n++; } });
    await subA.flush();
    await waitFor("RS+ on C", () => remoteSubjects(c.server, a.server.id).includes("gone"));
    sub.unsubscribe();
    await subA.flush();
    await waitFor("RS- on C", () => !remoteSubjects(c.server, a.server.id).includes("gone"));
    const before = outMsgsTo(c.server, a.server.id);
    for (let i = 0; i < 5; i++) pubC.publish("gone", "x");
    await pubC.flush();
    expect(outMsgsTo(c.server, a.server.id)).toBe(before);
    expect(n).toBe(0);
  });
});

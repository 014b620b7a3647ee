import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { gatewayHash, gatewayTuning } from "../../src/gateway/index.js";
import { CONNECT_RE, ERR_RE, INFO_RE, MSG_RE, PONG_RE, RawConn } from "../route/raw.js";
import { gatewayConf, gatewayOf, Topology, tuneGateways, waitFor, type InProcess } from "./helpers.js";

const saved = tuneGateways({ solicitDelay: 10, reconnectDelay: 50, connectDelay: 50, firstPingDelay: 60_000 });

const RMSG_LINE_RE = /RMSG (\S+) (\S+)(?: ([^\r\n]*))? (\d+)\r\n([^\r\n]*)\r\n/;

/**
 * A fake remote gateway "B" listening where our server solicits it: it answers each connection
 * with its INFO and hands over the raw connection once our CONNECT and INFO arrived.
 */
class FakeRemote {
  readonly accepted: RawConn[] = [];
  private readonly server: Server;
  private waiting: ((c: RawConn) => void)[] = [];

  port = 0;

  constructor(private readonly info: Record<string, unknown>) {
    this.server = createServer((socket: Socket) => {
      const port = this.port;
      const c = RawConn.adopt(socket);
      c.send(`INFO ${JSON.stringify({ server_id: "FAKEB", gateway: "B", gateway_url: `127.0.0.1:${port}`, gateway_urls: [`127.0.0.1:${port}`], ...this.info })}\r\n`);
      this.accepted.push(c);
      const w = this.waiting.shift();
      if (w !== undefined) w(c);
    });
  }

  /** Listens on a random loopback port. */
  listen(): Promise<void> {
    return new Promise((resolve) =>
      this.server.listen(0, "127.0.0.1", () => {
        this.port = (this.server.address() as { port: number }).port;
        resolve();
      }),
    );
  }

  /** The next connection from our server, after its CONNECT and INFO. */
  async next(): Promise<{ conn: RawConn; connect: Record<string, unknown>; info: Record<string, unknown> }> {
    const conn = await new Promise<RawConn>((resolve) => {
      const ready = this.accepted.find((c) => !(c as { taken?: boolean }).taken);
      if (ready !== undefined) resolve(ready);
      else this.waiting.push(resolve);
    });
    (conn as { taken?: boolean }).taken = true;
    const connect = JSON.parse((await conn.expect(CONNECT_RE))[1]) as Record<string, unknown>;
    const info = JSON.parse((await conn.expect(INFO_RE))[1]) as Record<string, unknown>;
    return { conn, connect, info };
  }

  close(): void {
    for (const c of this.accepted) c.close();
    this.server.close();
  }
}

describe("our outbound gateway connection against a fake remote", () => {
  const topo = new Topology();
  let fake: FakeRemote | undefined;
  afterEach(async () => {
    fake?.close();
    fake = undefined;
    await topo.stop();
  });

  async function setup(info: Record<string, unknown> = {}, extra = ""): Promise<{ a: InProcess; conn: RawConn; connect: Record<string, unknown>; ourInfo: Record<string, unknown> }> {
    fake = new FakeRemote(info);
    await fake.listen();
    const a = await topo.inProcess(gatewayConf("A", -1, { B: fake.port }, extra));
    const { conn, connect, info: ourInfo } = await fake.next();
    await waitFor(() => gatewayOf(a).outbound.has("B"), "outbound registered");
    return { a, conn, connect, ourInfo };
  }

  test("handshake: CONNECT names our cluster and server, then our gateway INFO", async () => {
    const { a, connect, ourInfo } = await setup({ gateway_iom: true, headers: true });
    expect(connect).toMatchObject({ echo: false, verbose: false, pedantic: false, tls_required: false, name: a.server.id, gateway: "A" });
    expect(ourInfo).toMatchObject({ server_id: a.server.id, gateway: "A", gateway_nrp: true, headers: true });
  });

  test("optimistic sends stop on A- and RS-, resume on A+ and RS+", async () => {
    const { a, conn } = await setup({ headers: true });
    const nc = await topo.client(a);
    // Interest ops are followed by PING so they are processed before the next publish.
    const tell = async (ops: string) => {
      conn.send(`${ops}PING\r\n`);
      await conn.expect(PONG_RE);
    };
    const sendAndSee = async (subject: string): Promise<boolean> => {
      nc.publish(subject, "x");
      await nc.flush();
      await new Promise((r) => setTimeout(r, 50));
      const m = RMSG_LINE_RE.exec(await conn.nothing(0));
      return m !== null && m[2] === subject;
    };
    expect(await sendAndSee("foo")).toBe(true);
    await tell("A- $G\r\n");
    expect(await sendAndSee("foo")).toBe(false);
    await tell("A+ $G\r\n");
    expect(await sendAndSee("foo")).toBe(true);
    await tell("RS- $G foo\r\n");
    expect(await sendAndSee("foo")).toBe(false);
    expect(await sendAndSee("other")).toBe(true);
    await tell("RS+ $G foo\r\n");
    expect(await sendAndSee("foo")).toBe(true);
    // A wildcard RS+ clears every no-interest it covers.
    await tell("RS- $G x.1\r\nRS- $G x.2\r\n");
    expect(await sendAndSee("x.1")).toBe(false);
    await tell("RS+ $G x.*\r\n");
    expect(await sendAndSee("x.1")).toBe(true);
    expect(await sendAndSee("x.2")).toBe(true);
  });

  test("TestGatewayHeaderDeliverStrippedMsg: a remote without headers gets the payload only", async () => {
    const { a, conn } = await setup({ gateway_iom: true, headers: false });
    conn.send("RS+ $G foo\r\n");
    const gw = gatewayOf(a);
    await waitFor(() => gw.outboundInterest.get(gw.outbound.get("B")!)?.get("$G")?.subscriptions().length === 1, "RS+ registered");
    const c = await RawConn.open(a.port);
    try {
      await c.expect(INFO_RE);
      c.send(`CONNECT {"headers":true,"verbose":false}\r\nHPUB foo 12 14\r\nName:Derek\r\nOK\r\nPING\r\n`);
      await c.expect(PONG_RE);
      const m = await conn.expect(RMSG_LINE_RE);
      expect([m[1], m[2], m[4], m[5]]).toEqual(["$G", "foo", "2", "OK"]);
    } finally {
      c.close();
    }
  });

  test("routed replies go only to the cluster their prefix names", async () => {
    const { a, conn } = await setup({ gateway_iom: true });
    const nc = await topo.client(a);
    const toB = `_GR_.${gatewayHash("B")}.abcdef.reply.1`;
    const toC = `_GR_.${gatewayHash("C")}.abcdef.reply.2`;
    nc.publish(toC, "no");
    nc.publish(toB, "yes");
    await nc.flush();
    const m = await conn.expect(RMSG_LINE_RE);
    expect([m[2], m[5]]).toEqual([toB, "yes"]);
    expect(await conn.nothing(50)).toBe("");
  });

  test("TestGatewayPings: gateways PING at their own interval whatever the traffic", async () => {
    gatewayTuning.maxPingInterval = 50;
    gatewayTuning.firstPingDelay = 50;
    try {
      const { conn } = await setup({ gateway_iom: true });
      for (let i = 0; i < 5; i++) {
        await conn.expect(/PING\r\n/, 250);
        conn.send("PONG\r\n");
      }
    } finally {
      gatewayTuning.maxPingInterval = saved.maxPingInterval;
      gatewayTuning.firstPingDelay = 60_000;
    }
  });

  test("TestGatewaySendAllSubsBadProtocol: a command without an account closes the connection, which comes back", async () => {
    const { conn } = await setup({ gateway_iom: true });
    conn.send(`INFO ${JSON.stringify({ gateway: "B", gateway_cmd: 2 })}\r\n`);
    const err = await conn.expect(ERR_RE);
    expect(err[1]).toBe("Account absent from receive-all-subscriptions-start command");
    await conn.expectClosed();
    const again = await fake!.next();
    expect(again.connect.gateway).toBe("A");
  });

  test("gossip about another cluster: its usable URLs are kept, junk ones ignored, the connection stays", async () => {
    const { a, conn } = await setup({ gateway_iom: true });
    const c = await topo.inProcess(gatewayConf("C", -1, {}));
    const urls = [7, null, "not a host:port", "127.0.0.1:99999", { host: "x" }, `127.0.0.1:${gatewayOf(c).port}`];
    conn.send(`INFO ${JSON.stringify({ gateway: "C", gateway_urls: urls, gateway_cmd: 1 })}\r\nINFO {"gateway":"D","gateway_urls":"nope","gateway_cmd":1}\r\nPING\r\n`);
    await conn.expect(PONG_RE);
    await waitFor(() => gatewayOf(a).outbound.has("C") && gatewayOf(c).inbound.size === 1, "A -> C from the gossip");
    expect(gatewayOf(a).remotes.get("C")!.hostPorts()).toEqual([`127.0.0.1:${gatewayOf(c).port}`]);
    // Nothing usable about D: no remote, no attempt.
    expect(gatewayOf(a).remotes.has("D")).toBe(false);
    expect(gatewayOf(a).outbound.has("B")).toBe(true);
  });

  test("an unknown gateway command is ignored; malformed interest closes the connection", async () => {
    const { conn } = await setup({ gateway_iom: true });
    conn.send(`INFO ${JSON.stringify({ gateway: "B", gateway_cmd: 255 })}\r\nPING\r\n`);
    await conn.expect(PONG_RE);
    // Invalid subjects in interest are ignored (Go's sublist refuses them), not fatal.
    conn.send("RS+ $G foo..bar\r\nRS+ $G >.x q 1\r\nRS- $G foo..bar\r\nPING\r\n");
    await conn.expect(PONG_RE);
    conn.send("RS+ $G\r\n");
    await conn.expectClosed();
  });
});

describe("a remote that never sends its INFO", () => {
  const topo = new Topology();
  afterEach(() => topo.stop());

  test("TestGatewayOutboundDetectsStaleConnectionIfNoInfo: the outbound sends nothing and closes as stale", async () => {
    const received: string[] = [];
    let accepted = 0;
    const sockets: Socket[] = [];
    const silent = createServer((s) => {
      accepted++;
      sockets.push(s);
      s.on("data", (d) => received.push(d.toString()));
    });
    const port = await new Promise<number>((resolve) => silent.listen(0, "127.0.0.1", () => resolve((silent.address() as { port: number }).port)));
    try {
      const a = await topo.inProcess(gatewayConf("A", -1, { B: port }, "ping_interval: \"50ms\"\nping_max: 3"));
      // Closed as stale after ping_interval x ping_max, then solicited again.
      await waitFor(() => accepted >= 2, "a second connection after the stale one");
      expect(received.join("")).toBe("");
      expect(gatewayOf(a).outbound.has("B")).toBe(false);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe("messages arriving with a routed reply prefix", () => {
  const topo = new Topology();
  afterEach(() => topo.stop());

  test("a _GR_ subject for this cluster is delivered without its prefix, one for another cluster is dropped", async () => {
    const a = await topo.inProcess(gatewayConf("A", -1, {}));
    const gwPort = gatewayOf(a).port;
    const client = await RawConn.open(a.port);
    const gw = await RawConn.open(gwPort);
    try {
      await client.expect(INFO_RE);
      client.send(`CONNECT {"verbose":false}\r\nSUB my.inbox 1\r\nSUB _GR_.> 2\r\nPING\r\n`);
      await client.expect(PONG_RE);
      await gw.expect(INFO_RE);
      gw.send(`CONNECT {"gateway":"B"}\r\nINFO {"gateway":"B"}\r\n`);
      gw.send(`RMSG $G _GR_.${gatewayHash("C")}.abcdef.my.inbox 5\r\nother\r\n`);
      gw.send(`RMSG $G _GR_.${gatewayHash("A")}.abcdef.my.inbox 4\r\nmine\r\n`);
      const m = await client.expect(MSG_RE);
      expect([m[1], m[2], m[5]]).toEqual(["my.inbox", "1", "mine"]);
      expect(await client.nothing(50)).toBe("");
    } finally {
      client.close();
      gw.close();
    }
  });
});

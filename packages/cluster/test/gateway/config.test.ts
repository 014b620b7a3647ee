import { NatsServer, optionsFromConf, parseConf } from "@nats-ts/core";
import { createServer } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { clusterPlugin } from "../../src/index.js";
import { gatewayOptionsFromConf, gatewayTuning } from "../../src/gateway/index.js";
import { freePort } from "../support/servers.js";
import { INFO_RE, RawConn } from "../route/raw.js";
import { gatewayConf, gatewayOf, Topology, tuneGateways, waitFor } from "./helpers.js";

tuneGateways({ solicitDelay: 10 });

const NO_OPTS = { name: "", accounts: false, accountName: "", subscriptions: false, subscriptionsDetail: false };

/** Starting a server with this conf fails with `message`; the half-started server is stopped. */
async function expectStartError(conf: string, message: string | RegExp): Promise<void> {
  const server = new NatsServer(optionsFromConf(parseConf(conf)).options, { plugins: [clusterPlugin()] });
  try {
    await expect(server.start()).rejects.toThrow(message);
  } finally {
    await server.shutdown();
  }
}

describe("gateway {} configuration", () => {
  test.each([
    ["a port but no name", `gateway { port: -1 }`, "gateway has no name"],
    ["a name with spaces", `gateway { name: "my cluster", port: -1 }`, "gateway name cannot contain spaces"],
    ["a name but no port", `gateway { name: A }`, `gateway "A" has no port specified (select -1 for random port)`],
    ["a remote without name", `gateway { name: A, port: -1, gateways: [ { url: "nats://127.0.0.1:1" } ] }`, "gateway in the list 0 has no name"],
    ["a remote without URL", `gateway { name: A, port: -1, gateways: [ { name: B } ] }`, `gateway "B" has no URL`],
    ["a token", `gateway { name: A, port: -1, authorization { token: x } }`, "Gateway authorization does not support tokens"],
    ["users", `gateway { name: A, port: -1, authorization { users: [ { user: a, password: b } ] } }`, "Gateway authorization does not allow multiple users"],
    ["an unknown field", `gateway { name: A, port: -1, foo: 1 }`, `unknown field "foo"`],
    ["gateways not a list", `gateway { name: A, port: -1, gateways: 3 }`, "Expected gateways field to be an array, got int64"],
    ["a port that is not a number", `gateway { name: A, port: "x" }`, "interface conversion: interface {} is string, not int64"],
    ["a cluster name that differs", `cluster { name: X, port: -1 }\ngateway { name: A, port: -1 }`, "cluster name conflicts between cluster and gateway definitions"],
  ])("refuses %s", async (_what, block, message) => {
    await expectStartError(`port: -1\n${block}\n`, message);
  });

  test("options keep every remote as written, with Go's defaults", () => {
    const o = gatewayOptionsFromConf(parseConf(`gateway { name: A, port: -1, gateways: [ { name: A, url: "nats://127.0.0.1:1" }, { name: B, urls: ["nats://127.0.0.1:2", "127.0.0.1:3"] } ] }`).gateway)!;
    expect(o.gateways.map((g) => g.name)).toEqual(["A", "B"]);
    expect(o.gateways[1].urls.map((u) => u.host)).toEqual(["127.0.0.1:2", "127.0.0.1:3"]);
    expect(o.host).toBe("0.0.0.0");
    expect(o.authTimeout).toBe(2);
  });

  test("a remote's TLS timeout is the one its tls block sets, else the gateway's; /varz shows only what was set", async () => {
    const conf = `port: -1\ngateway { name: A, host: 127.0.0.1, port: -1, tls { timeout: 4 }, gateways: [ { name: B, url: "nats://127.0.0.1:1", tls { timeout: 3 } }, { name: C, url: "nats://127.0.0.1:2", tls { insecure: true } } ] }\n`;
    const o = gatewayOptionsFromConf(parseConf(conf).gateway)!;
    expect(o.gateways.map((g) => g.tlsTimeout)).toEqual([3, undefined]);
    const topo = new Topology();
    try {
      const s = await topo.inProcess(conf);
      const gw = gatewayOf(s);
      expect(gw.varz().gateway.gateways).toEqual([
        { name: "B", tls_timeout: 3, urls: ["127.0.0.1:1"] },
        { name: "C", urls: ["127.0.0.1:2"] },
      ]);
      expect([gw.remotes.get("B")!.tls!.opts.timeout, gw.remotes.get("C")!.tls!.opts.timeout]).toEqual([3, 4]);
    } finally {
      await topo.stop();
    }
  });

  test("reject_unknown and reject_unknown_cluster are the same key", () => {
    for (const key of ["reject_unknown", "reject_unknown_cluster"]) {
      expect(gatewayOptionsFromConf(parseConf(`gateway { name: A, port: -1, ${key}: true }`).gateway)!.rejectUnknown).toBe(true);
    }
  });

  test("TestGatewayListenError: a gateway port in use fails the start", async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)));
    try {
      await expectStartError(`port: -1\ngateway { name: A, host: 127.0.0.1, port: ${port} }\n`, `Error listening on gateway port: ${port}`);
    } finally {
      blocker.close();
    }
  });

  test("TestGatewayAdvertiseErr: a bad advertise address fails the start", async () => {
    await expectStartError(`port: -1\ngateway { name: A, host: 127.0.0.1, port: -1, advertise: "wrong:address" }\n`, "Gateway.Advertise");
  });
});

describe("gateway listener", () => {
  const topo = new Topology();
  afterEach(() => topo.stop());

  test("INFO and /gatewayz announce the advertised address", async () => {
    const s = await topo.inProcess(`port: -1\ngateway { name: A, host: 127.0.0.1, port: -1, advertise: "example.com:1234" }\n`);
    const c = await RawConn.open(gatewayOf(s).listenPort);
    try {
      const info = JSON.parse((await c.expect(INFO_RE))[1]) as Record<string, unknown>;
      expect(info).toMatchObject({ gateway: "A", host: "example.com", port: 1234, gateway_url: "example.com:1234", gateway_urls: ["example.com:1234"], gateway_nrp: true, gateway_iom: true });
    } finally {
      c.close();
    }
    const z = gatewayOf(s).gatewayz(NO_OPTS);
    expect(z).toMatchObject({ name: "A", host: "example.com", port: 1234, outbound_gateways: {}, inbound_gateways: {} });
  });

  test("TestGatewayIgnoreSelfReference: our own name in the gateways list is neither a remote nor dialled", async () => {
    // As in Go, the port is chosen before the server starts, to name it in the server's own conf.
    const port = await freePort();
    const s = await topo.inProcess(`port: -1\ngateway { name: A, host: 127.0.0.1, port: ${port}, gateways: [ { name: A, url: "nats://127.0.0.1:${port}" } ] }\n`);
    await new Promise((r) => setTimeout(r, 50));
    const gw = gatewayOf(s);
    expect(gw.remotes.has("A")).toBe(false);
    expect(gw.outbound.size).toBe(0);
    expect(gw.inbound.size).toBe(0);
  });

  test("TestGatewayAdvertise: a remote cluster connects back to the advertised address", async () => {
    const c = await topo.inProcess(gatewayConf("C", -1, {}));
    const b = await topo.inProcess(gatewayConf("B", -1, {}));
    // A advertises C's address: B's implicit gateway back to "A" reaches C and is refused.
    const a = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(b).port }, "", `advertise: "127.0.0.1:${gatewayOf(c).port}"`));
    await waitFor(() => gatewayOf(a).outbound.size === 1 && gatewayOf(b).inbound.size === 1, "A -> B");
    await waitFor(() => (gatewayOf(b).remotes.get("A")?.connectAttempts ?? 0) >= 2, "B's attempts at the advertised address");
    expect([gatewayOf(a).outbound.size, gatewayOf(a).inbound.size]).toEqual([1, 0]);
    expect([gatewayOf(b).outbound.size, gatewayOf(b).inbound.size]).toEqual([0, 1]);
    expect([gatewayOf(c).outbound.size, gatewayOf(c).inbound.size]).toEqual([0, 0]);
  });

  test("/varz gateway block: name, host, port and the remotes' URLs", async () => {
    const s = await topo.inProcess(`port: -1\ngateway { name: A, host: 127.0.0.1, port: -1, connect_retries: 3, gateways: [ { name: B, url: "nats://127.0.0.1:1" } ] }\n`);
    expect(gatewayOf(s).varz().gateway).toEqual({
      name: "A",
      host: "127.0.0.1",
      port: gatewayOf(s).listenPort,
      auth_timeout: 2,
      tls_timeout: 2,
      connect_retries: 3,
      gateways: [{ name: "B", urls: ["127.0.0.1:1"] }],
    });
  });
});

import { createServer, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { makeRoutePki } from "../route/certs.js";
import { startGo } from "../support/servers.js";
import { connected, gatewayConf, gatewayOf, loggedListenPort, publishUntil, routePort, Topology, tuneGateways, waitFor, type InProcess } from "./helpers.js";

tuneGateways();
let pki: ReturnType<typeof makeRoutePki>;
beforeAll(() => {
  pki = makeRoutePki();
});
afterAll(() => pki.cleanup());

const tlsBlock = (timeout = 2) => `tls { cert_file: "${pki.cert}", key_file: "${pki.key}", ca_file: "${pki.ca}", verify: true, timeout: ${timeout} }`;

describe("gateways over TLS", () => {
  const topo = new Topology();
  afterEach(() => topo.stop());

  test("TestGatewayTLS: TLS gateways connect, go away and come back, and fail past the handshake timeout", async () => {
    let b = await topo.inProcess(gatewayConf("B", -1, {}, "", tlsBlock()));
    const pb = gatewayOf(b).port;
    const confB = gatewayConf("B", pb, {}, "", tlsBlock());
    let a = await topo.inProcess(gatewayConf("A", -1, { B: pb }, "", tlsBlock()));
    const counts = (s: InProcess) => `${gatewayOf(s).outbound.size},${gatewayOf(s).inbound.size}`;
    await waitFor(() => counts(a) === "1,1" && counts(b) === "1,1", "TLS gateways both ways");
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    const got: string[] = [];
    cb.subscribe("secure", { callback: (_e, m) => void got.push(m.string()) });
    await cb.flush();
    await publishUntil(ca, "secure", () => got.length > 0, "message over TLS", { data: "over tls" });
    expect(got[0]).toBe("over tls");
    await ca.close();
    await cb.close();

    await b.stop();
    await waitFor(() => counts(a) === "0,0", "A without B");
    b = await topo.inProcess(confB);
    await waitFor(() => counts(a) === "1,1" && counts(b) === "1,1", "TLS gateways back");
    await a.stop();
    await waitFor(() => counts(b) === "0,0", "B without A");

    // The remote's own tls block with a handshake timeout too small to make it.
    const tiny = `tls { cert_file: "${pki.cert}", key_file: "${pki.key}", ca_file: "${pki.ca}", timeout: 0.00000001 }`;
    a = await topo.inProcess(`port: -1\ngateway { name: A, host: 127.0.0.1, port: -1, ${tlsBlock()}, gateways: [ { name: B, url: "tls://localhost:${pb}", ${tiny} } ] }\n`);
    await waitFor(() => gatewayOf(a).remotes.get("B")!.connectAttempts >= 2, "failed TLS attempts");
    expect(gatewayOf(a).outbound.has("B")).toBe(false);
  });

  test("a gateway without TLS cannot join one that requires it", async () => {
    const b = await topo.inProcess(gatewayConf("B", -1, {}, "", tlsBlock(0.3)));
    const a = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(b).port }));
    await waitFor(() => gatewayOf(a).remotes.get("B")!.connectAttempts >= 2, "A's attempts");
    expect(gatewayOf(a).outbound.has("B")).toBe(false);
    expect(gatewayOf(b).inbound.size).toBe(0);
  });

  test("TestGatewayTLSErrors: a TLS gateway pointed at a plain route port fails to connect", async () => {
    const b = await topo.inProcess(gatewayConf("B", -1, {}, `cluster { name: B, host: 127.0.0.1, port: -1 }`));
    const a = await topo.inProcess(gatewayConf("A", -1, { B: routePort(b) }, "", tlsBlock(0.3)));
    await waitFor(() => gatewayOf(a).remotes.get("B")!.connectAttempts >= 2, "failed TLS attempts");
    expect(gatewayOf(a).outbound.has("B")).toBe(false);
  });

  test("TestGatewaySingleOutbound: TLS handshakes that time out never leave more than one outbound", async () => {
    const sockets: Socket[] = [];
    const bare = createServer((s) => void sockets.push(s));
    const port = await new Promise<number>((resolve) => bare.listen(0, "127.0.0.1", () => resolve((bare.address() as { port: number }).port)));
    const a = await topo.inProcess(gatewayConf("A", -1, { B: port }, "", tlsBlock(0.1)));
    await waitFor(() => sockets.length >= 3, "repeated attempts against the silent listener");
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => bare.close(() => resolve()));
    await topo.inProcess(gatewayConf("B", port, {}, "", tlsBlock()));
    await waitFor(() => gatewayOf(a).outbound.has("B"), "A's outbound to B", 15_000);
    expect(gatewayOf(a).outbound.size).toBe(1);
  });

  test("TLS gateways between nats-ts and a Go 2.9 server", async () => {
    // Go's B on random ports (read from its log); A configured with it, B connects back implicitly.
    const go = topo.add(await startGo(`port: -1\ngateway {\n name: "B"\n host: 127.0.0.1\n port: -1\n ${tlsBlock()}\n}\n`));
    const a = await topo.inProcess(gatewayConf("A", -1, { B: await loggedListenPort(go, "gateways") }, "", tlsBlock()));
    await waitFor(() => connected(a, "B"), "TLS gateways with Go", 15_000);
    const ca = await topo.client(a);
    const cg = await topo.client(go);
    const got: string[] = [];
    ca.subscribe("from.go", { callback: (_e, m) => void got.push(m.string()) });
    await ca.flush();
    await publishUntil(cg, "from.go", () => got.length > 0, "Go to nats-ts over TLS", { data: "tls", timeout: 15_000 });
  });
});

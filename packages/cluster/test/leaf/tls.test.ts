import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { parseConf } from "@nats-ts/core";
import { leafNodeOptionsFromConf } from "../../src/index.js";
import { freePort } from "../support/servers.js";
import { Topology, leafzOf, numLeafs, readInfo, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

let dir = "";
const f = (name: string) => join(dir, name);

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "leaf-tls-"));
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=leaf-test-ca");
  writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  for (const name of ["server", "client"]) {
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    ssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", "ext.cnf");
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function answered(nc: NatsConnection, subject: string): Promise<string> {
  return waitFor(`an answer on ${subject}`, async () => (await nc.request(subject, "", { timeout: 200 })).string());
}

const hubTls = (verify = false, timeout = 2) =>
  `tls { cert_file: "${f("server.pem")}", key_file: "${f("server-key.pem")}", ca_file: "${f("ca.pem")}", timeout: ${timeout}${verify ? ", verify: true" : ""} }`;
const leafTls = (client = false) =>
  `tls { ca_file: "${f("ca.pem")}"${client ? `, cert_file: "${f("client.pem")}", key_file: "${f("client-key.pem")}"` : ""} }`;

describe("TLS on leaf connections", () => {
  test("TestLeafNodeTLS: INFO says tls_required and the handshake follows it", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n ${hubTls(false, 0.1)}\n}`);
    const raw = await topo.raw(leafPort);
    const info = await readInfo(raw);
    expect(info.tls_required).toBe(true);
    expect(info.tls_verify).toBeUndefined();
    // Not upgrading to TLS in time: disconnected.
    await raw.expectClosed();
    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "tls://127.0.0.1:${leafPort}", ${leafTls()} } ] }`);
    await waitFor("connected", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
    const onHub = await topo.client(hub.url);
    onHub.subscribe("secure", { callback: (_e, m) => void m.respond("yes") });
    await onHub.flush();
    expect(await answered(await topo.client(leaf.url), "secure")).toBe("yes");
  });

  test("compression is negotiated inside TLS: S2 over the TLS stream, large messages intact", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n compression: s2_fast\n ${hubTls()}\n}`);
    const leaf = await topo.inProcess(`port: -1\nleafnodes { remotes [ { url: "tls://127.0.0.1:${leafPort}", compression: s2_best, ${leafTls()} } ] }`);
    await waitFor("connected", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
    expect(leafzOf(hub.server).leafs[0].compression).toBe("s2_fast");
    expect(leafzOf(leaf.server).leafs[0].compression).toBe("s2_best");
    const onHub = await topo.client(hub.url);
    onHub.subscribe("echo", { callback: (_e, m) => void m.respond(m.data) });
    await onHub.flush();
    const onLeaf = await topo.client(leaf.url);
    const big = new TextEncoder().encode("secure and small ".repeat(40_000));
    const reply = await waitFor("an echo", async () => (await onLeaf.request("echo", big, { timeout: 1000 })).data);
    expect(Buffer.from(reply).equals(Buffer.from(big))).toBe(true);
  });

  test("verify: the hub requires a client certificate signed by its CA", async () => {
    const leafPort = await freePort();
    const hub = await topo.logged(`port: -1\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n ${hubTls(true)}\n}`);
    const without = await topo.logged(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "nats://127.0.0.1:${leafPort}", ${leafTls()} } ] }`);
    await waitFor("refused", () => hub.lines.some((l) => l.includes("TLS leafnode handshake error")));
    expect(numLeafs(hub.server)).toBe(0);
    await without.stop();
    const withCert = await topo.inProcess(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "nats://127.0.0.1:${leafPort}", ${leafTls(true)} } ] }`);
    await waitFor("connected", () => numLeafs(hub.server) === 1 && numLeafs(withCert.server) === 1);
  });

  test("TestLeafNodeTLSRemoteWithNoCerts: a remote with only a CA connects; its TLS timeout is read or defaults to 2s", async () => {
    const leafPort = await freePort();
    const s1 = await topo.inProcess(`port: -1\nleaf {\n listen: "127.0.0.1:${leafPort}"\n ${hubTls()}\n}`);
    const remote = (tls: string) => leafNodeOptionsFromConf((parseConf(`leaf { remotes [ { url: "nats://localhost:${leafPort}", tls { ${tls} } } ] }`) as { leaf: unknown }).leaf).remotes[0];
    expect(remote(`ca_file: "${f("ca.pem")}", timeout: 5`).tls?.timeout).toBe(5);
    expect(remote(`timeout: 10`).tls?.timeout).toBe(10);
    expect(remote(`ca_file: "${f("ca.pem")}"`).tls?.timeout).toBe(2);
    const s2 = await topo.inProcess(`port: -1\nleaf { reconnect: "50ms", remotes [ { url: "nats://localhost:${leafPort}", tls { ca_file: "${f("ca.pem")}", timeout: 5 } } ] }`);
    await waitFor("connected", () => numLeafs(s1.server) === 1 && numLeafs(s2.server) === 1);
  });

  test("garbage instead of a TLS handshake closes that connection only", async () => {
    const leafPort = await freePort();
    const hub = await topo.logged(`port: -1\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n ${hubTls(false, 0.3)}\n}`);
    for (const junk of ["CONNECT {}\r\n", "\x16\x03\x01\x00\xff garbage", "x".repeat(5000)]) {
      const raw = await topo.raw(leafPort);
      await readInfo(raw);
      raw.send(junk);
      await raw.expectClosed();
    }
    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "tls://127.0.0.1:${leafPort}", ${leafTls()} } ] }`);
    await waitFor("a good leaf still connects", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
    expect(hub.lines.filter((l) => l.includes("TLS leafnode handshake error")).length).toBeGreaterThanOrEqual(3);
  });

  test("TestLeafNodeTLSConnCloseEarly: a connection closed before the handshake harms nothing", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`listen: "127.0.0.1:-1"\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n ${hubTls()}\n}`);
    const raw = await topo.raw(leafPort);
    raw.socket.destroy();
    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "tls://127.0.0.1:${leafPort}", ${leafTls()} } ] }`);
    await waitFor("a leaf connects", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
    expect(hub.server.isRunning).toBe(true);
  });

  test("a leaf that does not trust the hub's certificate does not connect", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n ${hubTls()}\n}`);
    const leaf = await topo.logged(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("handshake refused", () => leaf.lines.some((l) => l.includes("TLS leafnode handshake error")));
    expect(numLeafs(hub.server)).toBe(0);
  });

  test("nats-ts leaf into a Go 2.9 hub over TLS", async () => {
    const leafPort = await freePort();
    const hub = await topo.go(`port: ${await freePort()}\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n ${hubTls()}\n}`);
    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "tls://127.0.0.1:${leafPort}", ${leafTls()} } ] }`);
    await waitFor("connected", () => numLeafs(leaf.server) === 1);
    const onHub = await topo.client(hub.url);
    onHub.subscribe("secure", { callback: (_e, m) => void m.respond("go") });
    await onHub.flush();
    expect(await answered(await topo.client(leaf.url), "secure")).toBe("go");
  });

  test("Go 2.9 leaf into a nats-ts hub over TLS", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n ${hubTls()}\n}`);
    const leaf = await topo.go(`port: ${await freePort()}\nleafnodes { reconnect: 1, remotes [ { url: "tls://127.0.0.1:${leafPort}", ${leafTls()} } ] }`);
    await waitFor("connected", () => numLeafs(hub.server) === 1);
    const onLeaf = await topo.client(leaf.url);
    onLeaf.subscribe("secure", { callback: (_e, m) => void m.respond("go-leaf") });
    await onLeaf.flush();
    expect(await answered(await topo.client(hub.url), "secure")).toBe("go-leaf");
  });
});

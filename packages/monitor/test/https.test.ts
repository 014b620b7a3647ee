import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { NatsServer } from "@nats-ts/core";
import { connect } from "@nats-io/transport-node";
import { monitorPlugin } from "../src/index.js";

let dir: string;
let cert: string;
let key: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "monitor-tls-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"], { cwd: dir, stdio: "ignore" });
  cert = readFileSync(join(dir, "cert.pem"), "utf8");
  key = readFileSync(join(dir, "key.pem"), "utf8");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function httpsJson(port: number, path: string): Promise<any> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path, ca: cert }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(JSON.parse(body)));
    }).on("error", reject);
  });
}

test("https_port serves the endpoints over TLS with the server's certificate", async () => {
  const monitor = monitorPlugin();
  const server = new NatsServer({ host: "127.0.0.1", port: 0, tls: { cert, key }, blocks: { https_port: -1 } }, { plugins: [monitor] });
  await server.start();
  try {
    expect(monitor.httpsPort).toBeGreaterThan(0);
    const varz = await httpsJson(monitor.httpsPort, "/varz");
    expect(varz.https_port).toBe(monitor.httpsPort);
    expect(varz.http_port).toBe(0);
    expect(server.listeners.monitoring).toEqual([`https://127.0.0.1:${monitor.httpsPort}`]);
  } finally {
    await server.shutdown();
  }
});

test("TestMonitorVarzTLSCertEndDate: /varz reports TLS and the certificate's expiry", async () => {
  const monitor = monitorPlugin();
  const server = new NatsServer({ host: "127.0.0.1", port: 0, httpPort: -1, tls: { certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem"), timeout: 3 } }, { plugins: [monitor] });
  await server.start();
  try {
    const varz = await (await fetch(`http://127.0.0.1:${monitor.httpPort}/varz`)).json();
    const enddate = execFileSync("openssl", ["x509", "-enddate", "-noout", "-in", join(dir, "cert.pem")], { encoding: "utf8" }).trim().replace("notAfter=", "");
    expect(Date.parse(varz.tls_cert_not_after)).toBe(Date.parse(enddate));
    expect(varz.tls_required).toBe(true);
    expect(varz.tls_verify).toBeUndefined();
    expect(varz.tls_timeout).toBe(3);
  } finally {
    await server.shutdown();
  }
});

test("TestMonitorBothPortsConfigured: http and https ports together are refused like Go", async () => {
  const server = new NatsServer({ host: "127.0.0.1", port: 0, httpPort: 8222, tls: { cert, key }, blocks: { https_port: 8223 } }, { plugins: [monitorPlugin()] });
  await expect(server.start()).rejects.toThrow("can't specify both HTTP (8222) and HTTPs (8223) ports");
  await server.shutdown();
});

test("TestMonitorNoTLSConfig: https without a certificate is refused like Go", async () => {
  const server = new NatsServer({ host: "127.0.0.1", port: 0, blocks: { https_port: -1 } }, { plugins: [monitorPlugin()] });
  await expect(server.start()).rejects.toThrow("TLS cert and key required for HTTPS");
  await server.shutdown();
});

test("/connz shows a TLS client's tls_version and tls_cipher_suite, open and closed", async () => {
  const monitor = monitorPlugin();
  const server = new NatsServer({ host: "127.0.0.1", port: 0, httpPort: -1, tls: { cert, key } }, { plugins: [monitor] });
  await server.start();
  try {
    const nc = await connect({ servers: server.clientURL, reconnect: false, tls: { ca: cert } });
    await nc.flush();
    const connz = async (q: string) => (await (await fetch(`http://127.0.0.1:${monitor.httpPort}/connz${q}`)).json()).connections[0];
    const open = await connz("");
    expect(open.tls_version).toMatch(/^1\.[23]$/);
    expect(open.tls_cipher_suite).toMatch(/^TLS_/);
    expect(open.tls_first).toBeUndefined();
    await nc.close();
    while (server.connections.size > 0) await new Promise((r) => setTimeout(r, 10));
    const closed = await connz("?state=closed");
    expect([closed.tls_version, closed.tls_cipher_suite]).toEqual([open.tls_version, open.tls_cipher_suite]);
    // Key order as Go marshals ConnInfo: after the client's name, lang and version.
    const keys = Object.keys(open);
    expect(keys.indexOf("tls_version")).toBe(keys.indexOf("version") + 1);
  } finally {
    await server.shutdown();
  }
});

test("TestMonitorConnzTLSPeerCerts: /connz?auth=1 lists the client's certificate (subject, SPKI and cert SHA-256), not without auth", async () => {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "1", "-subj", "/CN=Test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client-key.pem", "-out", "client.csr", "-subj", "/C=US/ST=California/O=Synadia/OU=nats.io/CN=localhost");
  openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", "client.pem", "-days", "1");
  const file = (name: string) => readFileSync(join(dir, name), "utf8");
  const monitor = monitorPlugin();
  const server = new NatsServer({ host: "127.0.0.1", port: 0, httpPort: -1, tls: { cert, key, ca: file("ca.pem"), verify: true, timeout: 2 } }, { plugins: [monitor] });
  await server.start();
  try {
    const nc = await connect({ servers: server.clientURL, reconnect: false, tls: { ca: cert, cert: file("client.pem"), key: file("client-key.pem") } });
    await nc.flush();
    const connz = async (q: string) => (await (await fetch(`http://127.0.0.1:${monitor.httpPort}/connz${q}`)).json()).connections;
    const plain = await connz("");
    expect(plain).toHaveLength(1);
    expect(plain[0].tls_peer_certs).toBeUndefined();
    const withAuth = await connz("?auth=1");
    expect(withAuth).toHaveLength(1);
    expect(withAuth[0].tls_peer_certs).toHaveLength(1);
    const [peer] = withAuth[0].tls_peer_certs;
    expect(peer.subject).toBe("CN=localhost,OU=nats.io,O=Synadia,ST=California,C=US");
    expect(peer.spki_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(peer.cert_sha256).toBe(createHash("sha256").update(new X509Certificate(file("client.pem")).raw).digest("hex"));
    await nc.close();
  } finally {
    await server.shutdown();
  }
});

test("TestTLSConnz: /connz over https lists a TLS client with its traffic and TLS details", async () => {
  const monitor = monitorPlugin();
  const server = new NatsServer(
    { host: "127.0.0.1", port: 0, tls: { cert, key, timeout: 2 }, authorization: { user: "derek", password: "monkey", timeout: 1 }, blocks: { https_port: -1 } },
    { plugins: [monitor] },
  );
  await server.start();
  try {
    const nc = await connect({ servers: server.clientURL, reconnect: false, user: "derek", pass: "monkey", tls: { ca: cert } });
    const received = new Promise<void>((resolve) => nc.subscribe("foo", { callback: () => resolve() }));
    nc.publish("foo", "Hello");
    await received;
    const c = await httpsJson(monitor.httpsPort, "/connz");
    expect(c.num_connections).toBe(1);
    expect(c.total).toBe(1);
    const ci = c.connections[0];
    expect(ci.cid).toBeGreaterThan(0);
    expect(ci.ip).toBe("127.0.0.1");
    expect(ci.port).toBeGreaterThan(0);
    expect(ci.subscriptions).toBe(1);
    expect(ci.subscriptions_list).toBeUndefined();
    expect([ci.in_msgs, ci.out_msgs, ci.in_bytes, ci.out_bytes]).toEqual([1, 1, 5, 5]);
    expect(Date.parse(ci.start)).toBeGreaterThan(0);
    expect(ci.uptime).not.toBe("");
    expect(Date.parse(ci.last_activity)).toBeGreaterThanOrEqual(Date.parse(ci.start));
    expect(ci.idle).not.toBe("");
    expect(ci.tls_version).toMatch(/^1\.[23]$/);
    expect(ci.tls_cipher_suite).toMatch(/^TLS_/);
    await nc.close();
  } finally {
    await server.shutdown();
  }
});

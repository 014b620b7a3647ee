import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startServer } from "../helpers.js";
import { connect } from "@nats-io/transport-node";
import { connect as tlsConnect } from "node:tls";
import { RawClient } from "../raw-client.js";
import { makePki, type ThrowawayPki } from "./certs.js";
import { NatsServer, optionsFromConf, parseConf, type ConnectionSnapshot } from "../../src/index.js";
import { DEFAULT_CONNECT as DEFAULT } from "../../src/client/connect-info.js";

let pki: ThrowawayPki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki.cleanup());

const enc = new TextEncoder();

function tlsOpts(extra: Record<string, unknown> = {}) {
  return { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caFile, ...extra };
}

async function roundTrip(url: string, tls: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<void> {
  const nc = await connect({ servers: url, reconnect: false, tls, ...extra });
  const sub = nc.subscribe("t", { max: 1 });
  nc.publish("t", enc.encode("secure"));
  for await (const m of sub) expect(m.string()).toBe("secure");
  await nc.close();
}

/**
 * With TLS 1.3 the client may finish its side of the handshake before the server rejects its
 * certificate, so a refusal shows either as a failed connect or as a connection closed at once.
 */
async function expectRefused(url: string, tls: Record<string, unknown>): Promise<void> {
  let nc;
  try {
    nc = await connect({ servers: url, reconnect: false, tls });
  } catch {
    return;
  }
  const err = await Promise.race([nc.closed(), new Promise((r) => setTimeout(() => r("still open"), 2000))]);
  expect(err).not.toBe("still open");
  expect(err).toBeInstanceOf(Error);
}

describe("client TLS", () => {
  test("INFO announces tls_required in the clear, then the client upgrades", async () => {
    const server = await startServer({ tls: tlsOpts() });
    try {
      const raw = await RawClient.open(server.port);
      await raw.waitFor(/INFO .*\r\n/);
      expect(raw.received).toContain('"tls_required":true');
      raw.close();
      await roundTrip(server.clientURL, { caFile: pki.caFile });
    } finally {
      await server.shutdown();
    }
  });

  test("a TLS connection records its version and cipher suite (and whether TLS came first); its snapshot keeps them", async () => {
    for (const handshakeFirst of [false, true]) {
      const server = await startServer({ tls: tlsOpts({ handshakeFirst, minVersion: "1.3" }) });
      try {
        const nc = await connect({ servers: server.clientURL, reconnect: false, tls: { caFile: pki.caFile, handshakeFirst } });
        await nc.flush();
        const client = [...server.connections.values()][0];
        expect(client.tls).toEqual({ version: "1.3", cipherSuite: expect.stringMatching(/^TLS_AES_|^TLS_CHACHA20_/), first: handshakeFirst });
        const closed = new Promise<ConnectionSnapshot>((r) => server.events.once("clientClosed", r));
        await nc.close();
        expect((await closed).tls).toEqual(client.tls);
      } finally {
        await server.shutdown();
      }
    }
    const plain = await startServer();
    try {
      const nc = await connect({ servers: plain.clientURL, reconnect: false });
      await nc.flush();
      expect([...plain.connections.values()][0].tls).toBeUndefined();
      await nc.close();
    } finally {
      await plain.shutdown();
    }
  });

  test("mutual TLS (verify): a trusted client certificate connects; none, or an untrusted one, is refused", async () => {
    const server = await startServer({ tls: tlsOpts({ verify: true }) });
    try {
      await roundTrip(server.clientURL, { caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey });
      await expectRefused(server.clientURL, { caFile: pki.caFile });
      await expectRefused(server.clientURL, { caFile: pki.caFile, certFile: pki.strangerCert, keyFile: pki.strangerKey });
      expect(server.stats.totalConnections).toBe(1);
    } finally {
      await server.shutdown();
    }
  });

  test("verify_and_map: the certificate's email (or subject) names the user and its account", async () => {
    const { options } = optionsFromConf(
      parseConf(`
        tls { cert_file: "${pki.serverCert}", key_file: "${pki.serverKey}", ca_file: "${pki.caFile}", verify_and_map: true }
        accounts { A { users [ { user: "alice@example.com" } ] } }`),
    );
    const server = new NatsServer({ ...options, host: "127.0.0.1", port: 0 });
    await server.start();
    try {
      const nc = await connect({ servers: server.clientURL, reconnect: false, tls: { caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey } });
      expect([...server.connections.values()][0].account?.name).toBe("A");
      expect([...server.connections.values()][0].user).toBe("alice@example.com");
      await nc.close();
    } finally {
      await server.shutdown();
    }
    const bySubject = new NatsServer({
      host: "127.0.0.1",
      port: 0,
      tls: tlsOpts({ verifyAndMap: true }),
      authorization: { users: [{ user: "CN=alice,OU=NATS,O=Synadia" }] },
    });
    await bySubject.start();
    try {
      await roundTrip(bySubject.clientURL, { caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey });
    } finally {
      await bySubject.shutdown();
    }
  });

  test("TestAuthCertMappedUserNotPasswordAuthenticatable / TestAuthCertMappedUserWithPassword / TestAuthNoAuthUserWithoutPasswordAndCertMapping", async () => {
    const { X509Certificate } = await import("node:crypto");
    const { configAuthenticator, resolveOptions } = await import("../../src/index.js");
    const cert = new X509Certificate(pki.read(pki.clientCert)).raw;
    const certUser = "CN=alice,OU=NATS,O=Synadia";
    const connect = (user?: string, pass?: string) => ({ ...DEFAULT, user, pass });
    const ws = { connectionType: "WEBSOCKET" };

    const mapped = configAuthenticator(
      resolveOptions({ tls: tlsOpts({ verifyAndMap: true }), authorization: { users: [{ user: "CN=other,O=Synadia" }, { user: certUser }] } }),
    );
    for (const [user, pass] of [[certUser, ""], [certUser, "wrongpassword"], ["CN=attacker", ""], [undefined, undefined]] as const) {
      expect(mapped.authenticate(connect(user, pass), ws), `${user}/${pass}`).toBeUndefined();
    }
    expect(mapped.authenticate(connect(), { certificate: cert })?.user).toBe(certUser);

    const withPassword = configAuthenticator(
      resolveOptions({ tls: tlsOpts({ verifyAndMap: true }), authorization: { users: [{ user: "CN=other,O=Synadia" }, { user: certUser, password: "s3cr3t" }] } }),
    );
    expect(withPassword.authenticate(connect(), { certificate: cert })).toBeUndefined();
    expect(withPassword.authenticate(connect(undefined, "s3cr3t"), { certificate: cert })?.user).toBe(certUser);
    expect(withPassword.authenticate(connect(certUser, "s3cr3t"), ws)?.user).toBe(certUser);
    expect(withPassword.authenticate(connect(certUser, ""), ws)).toBeUndefined();

    const guest = configAuthenticator(
      resolveOptions({ tls: tlsOpts({ verifyAndMap: true }), authorization: { users: [{ user: certUser }, { user: "guest" }] }, noAuthUser: "guest" }),
    );
    expect(guest.authenticate(connect(), ws)?.user).toBe("guest");
    expect(guest.authenticate(connect("guest", ""), ws)?.user).toBe("guest");
    expect(guest.authenticate(connect(certUser, ""), ws)).toBeUndefined();
  });

  test("handshake_first: TLS starts before INFO when both sides ask for it", async () => {
    const server = await startServer({ tls: tlsOpts({ handshakeFirst: true }) });
    try {
      await roundTrip(server.clientURL, { caFile: pki.caFile, handshakeFirst: true });
    } finally {
      await server.shutdown();
    }
  });

  test("TestConfigReloadEnableTLS / TestConfigReloadDisableTLS: reload turns TLS on and off for new connections", async () => {
    const server = await startServer({});
    try {
      const plain = await connect({ servers: server.clientURL, reconnect: false });
      server.reload({ host: "127.0.0.1", port: 0, tls: tlsOpts() });
      await roundTrip(server.clientURL, { caFile: pki.caFile });
      expect(plain.isClosed()).toBe(false);
      await plain.close();
      server.reload({ host: "127.0.0.1", port: 0 });
      const again = await connect({ servers: server.clientURL, reconnect: false });
      expect(again.info?.tls_required).toBeUndefined();
      await again.close();
    } finally {
      await server.shutdown();
    }
  });

  test("TestConfigReloadRotateTLS: new connections get the reloaded certificate", async () => {
    const server = await startServer({ tls: tlsOpts() });
    const subjectSeen = async (): Promise<string> => {
      const raw = await RawClient.open(server.port);
      await raw.waitFor(/INFO .*\r\n/);
      const secure = tlsConnect({ socket: raw.socket, ca: pki.read(pki.caFile), servername: "localhost" });
      await new Promise<void>((resolve, reject) => secure.once("secureConnect", resolve).once("error", reject));
      const cn = secure.getPeerCertificate().subject.CN;
      secure.destroy();
      return String(cn);
    };
    try {
      expect(await subjectSeen()).toBe("localhost");
      server.reload({ host: "127.0.0.1", port: 0, tls: { certFile: pki.rotatedCert, keyFile: pki.rotatedKey, caFile: pki.caFile } });
      expect(await subjectSeen()).toBe("rotated");
    } finally {
      await server.shutdown();
    }
  });

  test("a TLS block whose files can not be read fails at start with the file named", () => {
    expect(() => new NatsServer({ tls: { certFile: `${pki.dir}/missing.pem`, keyFile: pki.serverKey } })).toThrow(/missing\.pem/);
  });

  test("handshake_first with a fallback delay serves both TLS-first clients and clients waiting for INFO", async () => {
    const server = await startServer({ tls: tlsOpts({ handshakeFirst: true, handshakeFirstFallback: 100 }) });
    try {
      await roundTrip(server.clientURL, { caFile: pki.caFile, handshakeFirst: true });
      await roundTrip(server.clientURL, { caFile: pki.caFile });
    } finally {
      await server.shutdown();
    }
  });

  test("handshake_first conf forms: booleans, on/off, auto and a fallback duration", () => {
    const tlsOf = (v: string) => optionsFromConf(parseConf(`tls { cert_file: c, key_file: k, handshake_first: ${v} }`)).options.tls;
    expect(tlsOf("true")).toMatchObject({ handshakeFirst: true });
    expect(tlsOf(`"off"`)).toMatchObject({ handshakeFirst: false });
    expect(tlsOf(`"auto"`)).toMatchObject({ handshakeFirst: true, handshakeFirstFallback: 50 });
    expect(tlsOf(`"300ms"`)).toMatchObject({ handshakeFirst: true, handshakeFirstFallback: 300 });
    expect(() => tlsOf(`"sometimes"`)).toThrow(/field "handshake_first"'s value "sometimes" is invalid/);
  });

  test("a client that never completes the handshake is dropped after the TLS timeout", async () => {
    const server = await startServer({ tls: tlsOpts({ timeout: 0.2 }) });
    try {
      const raw = await RawClient.open(server.port);
      await raw.waitFor("INFO");
      raw.send("CONNECT {}\r\n");
      await raw.waitClosed(3000);
      expect(server.connections.size).toBe(0);
    } finally {
      await server.shutdown();
    }
  });
});

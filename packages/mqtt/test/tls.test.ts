import { readFileSync } from "node:fs";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseConf } from "@nats-ts/core";
import { mqttOptionsFromConf } from "../src/index.js";
import { makeCerts, type TestCerts } from "./certs.js";
import { mqttConnect, startMqtt } from "./helpers.js";

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.cleanup());

describe("TLS", () => {
  test("TestMQTTTLS: TLS clients connect; with verify a client certificate is required; a too short TLS timeout fails the handshake", async () => {
    const ca = readFileSync(certs.caFile);
    let t = await startMqtt({ mqtt: { tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile } } });
    try {
      expect(t.server.listeners.mqtt?.[0]).toMatch(/^tls:\/\//);
      const c = await mqttConnect(`mqtts://127.0.0.1:${t.port}`, { ca, clientId: "tls" });
      await c.publishAsync("tls/t", "over tls", { qos: 1 });
      await c.endAsync();
    } finally {
      await t.stop();
    }

    t = await startMqtt({ mqtt: { tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, verify: true } } });
    try {
      await expect(mqttConnect(`mqtts://127.0.0.1:${t.port}`, { ca, clientId: "nocert" })).rejects.toThrow();
      const c = await mqttConnect(`mqtts://127.0.0.1:${t.port}`, { ca, clientId: "withcert", cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });
      await c.endAsync();
    } finally {
      await t.stop();
    }

    t = await startMqtt({ mqtt: { tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, verify: true, timeout: 0.001 } } });
    try {
      // Connect, then wait past the timeout before starting the handshake (as Go's test does).
      const raw = await new Promise<Socket>((resolve) => {
        const sock = netConnect({ host: "127.0.0.1", port: t.port }, () => resolve(sock));
        sock.on("error", () => undefined);
      });
      await new Promise((r) => setTimeout(r, 100));
      const failed = await new Promise<boolean>((resolve) => {
        if (raw.destroyed) return resolve(true); // the server gave up already
        const s = tlsConnect({ socket: raw, ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey), servername: "localhost" });
        s.once("secureConnect", () => {
          s.destroy();
          resolve(false);
        });
        s.once("error", () => resolve(true));
        s.once("close", () => resolve(true));
      });
      expect(failed).toBe(true);
    } finally {
      await t.stop();
    }
  });

  test("the conf block's tls {}: Go's keys, and keys this build does not serve are refused, not ignored", () => {
    const conf = parseConf(`mqtt { port: -1, tls { cert_file: "s.pem", key_file: "k.pem", ca_file: "ca.pem", verify: true, timeout: 3, min_version: "1.3" } }`);
    expect(mqttOptionsFromConf(conf.mqtt).tls).toEqual({ certFile: "s.pem", keyFile: "k.pem", caFile: "ca.pem", verify: true, timeout: 3, minVersion: "1.3" });
    expect(() => mqttOptionsFromConf(parseConf(`mqtt { tls { cert_file: "s.pem", verify_and_map: true } }`).mqtt)).toThrow(/verify_and_map" is not supported/);
    expect(() => mqttOptionsFromConf(parseConf(`mqtt { tls { nope: 1 } }`).mqtt)).toThrow(/unknown field \["nope"\]/);
  });

  test("a certificate file that can not be read fails the start", async () => {
    await expect(startMqtt({ mqtt: { tls: { certFile: "/nonexistent/cert.pem", keyFile: certs.keyFile } } })).rejects.toThrow(/error parsing X509 certificate\/key pair/);
  });
});

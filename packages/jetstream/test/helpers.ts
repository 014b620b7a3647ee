import { afterAll, beforeAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NatsServer, optionsFromConf, parseConf } from "@nats-ts/core";
import { connect, headers, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { jetstreamPlugin, type JetStreamPlugin, type JetStreamPluginOptions } from "../src/index.js";

export interface JsTestServer {
  server: NatsServer;
  storeDir: string;
  nc: NatsConnection;
  jsm: JetStreamManager;
  js: JetStreamClient;
  /** Stops the server (keeping the store dir) and starts a new one on the same dir. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a NatsServer with JetStream on 127.0.0.1:0 and connects the real clients to it. */
export async function startJs(opts: { jetstream?: Record<string, unknown>; plugin?: JetStreamPluginOptions; storeDir?: string } = {}): Promise<JsTestServer> {
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), "nats-ts-js-"));
  const make = async (): Promise<{ server: NatsServer; nc: NatsConnection }> => {
    const server = new NatsServer(
      { host: "127.0.0.1", port: 0, jetstream: { store_dir: storeDir, ...(opts.jetstream ?? {}) } },
      { plugins: [jetstreamPlugin(opts.plugin)] },
    );
    await server.start();
    const nc = await connect({ servers: server.clientURL, reconnect: false });
    return { server, nc };
  };
  let { server, nc } = await make();
  const t: JsTestServer = {
    server,
    storeDir,
    nc,
    jsm: await jetstreamManager(nc),
    js: jetstream(nc),
    async restart() {
      await t.nc.close();
      await t.server.shutdown();
      ({ server, nc } = await make());
      t.server = server;
      t.nc = nc;
      t.jsm = await jetstreamManager(nc);
      t.js = jetstream(nc);
    },
    async stop() {
      await t.nc.close().catch(() => undefined);
      await t.server.shutdown();
      if (opts.storeDir === undefined) rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return t;
}

/** Sends a raw JetStream API request and returns the parsed JSON response. */
export async function apiRequest(nc: NatsConnection, subject: string, body?: unknown): Promise<Record<string, any>> {
  const payload = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  const msg = await nc.request(subject, payload, { timeout: 2000 });
  return JSON.parse(msg.string()) as Record<string, any>;
}

/** The server-side stream object, for checks the client API cannot make. */
export function serverStream(t: JsTestServer, name: string, account = "$G") {
  const plugin = t.server.plugin<JetStreamPlugin>("jetstream");
  return plugin?.account(account)?.lookup(name);
}

/** Publishes with optional headers via a request and returns the parsed PubAck (or error) JSON. */
export async function rawPublish(nc: NatsConnection, subject: string, data: string | Uint8Array, hdrs?: Record<string, string>): Promise<Record<string, any>> {
  let h: MsgHdrs | undefined;
  if (hdrs !== undefined) {
    h = headers();
    for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
  }
  const msg = await nc.request(subject, data, { timeout: 2000, headers: h });
  return JSON.parse(msg.string()) as Record<string, any>;
}

/**
 * One JetStream server shared by a describe block: started before its tests, stopped after.
 * `use` receives it once started (tests usually destructure nc/js/jsm from it).
 */
export function sharedJs(use: (t: JsTestServer) => void): void {
  let t: JsTestServer | undefined;
  beforeAll(async () => {
    t = await startJs();
    use(t);
  });
  afterAll(async () => {
    await t?.stop();
  });
}

/** A JetStream server started from conf text. */
export interface ConfJsServer {
  server: NatsServer;
  /** Stops the server and starts it again from the same conf and store directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a JetStream server from conf text (the way the executable reads a file) on an ephemeral
 * loopback port; `%STORE%` in the text becomes a fresh store directory.
 */
export async function startJsFromConf(text: string): Promise<ConfJsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), "nats-ts-js-conf-"));
  const { options } = optionsFromConf(parseConf(text.replaceAll("%STORE%", storeDir), { env: {} }));
  const make = async (): Promise<NatsServer> => {
    const server = new NatsServer({ ...options, host: "127.0.0.1", port: 0 }, { plugins: [jetstreamPlugin()] });
    await server.start();
    return server;
  };
  const t: ConfJsServer = {
    server: await make(),
    async restart() {
      await t.server.shutdown();
      t.server = await make();
    },
    async stop() {
      await t.server.shutdown();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return t;
}

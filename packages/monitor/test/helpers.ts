import { NatsServer, type Authenticator, type ServerOptionsInput } from "@nats-ts/core";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { monitorPlugin, type MonitorOptions, type MonitorPlugin } from "../src/index.js";

export interface Harness {
  server: NatsServer;
  monitor: MonitorPlugin;
  url: string;
  /** GET a monitoring path; body parsed as JSON when it is JSON. */
  get(path: string): Promise<{ status: number; body: any; text: string; contentType: string }>;
  /** JSON body of a 200 answer (fails the test otherwise). */
  json(path: string): Promise<any>;
  client(opts?: Record<string, unknown>): Promise<NatsConnection>;
  close(): Promise<void>;
}

/** Users for tests that need accounts: `sys` joins the system account, `app` joins APP, `other` OTHER. */
export const accountsAuthenticator: Authenticator = {
  required: true,
  authenticate(connect) {
    if (connect.user === "sys" && connect.pass === "sys") return { account: "$SYS", user: "sys" };
    if (connect.user === "app" && connect.pass === "app") return { account: "APP", user: "app" };
    if (connect.user === "other" && connect.pass === "other") return { account: "OTHER", user: "other" };
    return undefined;
  },
};

export async function startMonitored(
  opts: ServerOptionsInput = {},
  monitorOpts: MonitorOptions = {},
  config: { authenticator?: Authenticator; accounts?: string[] } = {},
): Promise<Harness> {
  const monitor = monitorPlugin(monitorOpts);
  const server = new NatsServer({ host: "127.0.0.1", port: 0, httpPort: -1, ...opts }, { plugins: [monitor], authenticator: config.authenticator });
  for (const name of config.accounts ?? []) server.registerAccount(name);
  await server.start();
  const clients: NatsConnection[] = [];
  const base = () => `http://127.0.0.1:${monitor.httpPort}`;
  const get = async (path: string) => {
    const res = await fetch(`${base()}${path}`);
    const text = await res.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, contentType: res.headers.get("content-type") ?? "" };
  };
  return {
    server,
    monitor,
    url: server.clientURL,
    get,
    async json(path) {
      const r = await get(path);
      if (r.status !== 200 || r.body === undefined) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
      return r.body;
    },
    async client(opts = {}) {
      const nc = await connect({ servers: server.clientURL, ...opts });
      clients.push(nc);
      return nc;
    },
    async close() {
      await Promise.all(clients.map((c) => (c.isClosed() ? undefined : c.close().catch(() => undefined))));
      await server.shutdown();
    },
  };
}

/** Polls until `check` returns a value that is not undefined/false (for events that land asynchronously). */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Go's tests poll each endpoint twice ("mode" 0: HTTP, 1: the server function). This returns both
 * answers so a test checks the same expectations on each.
 */
export async function bothModes<T>(h: Harness, path: string, direct: () => T): Promise<T[]> {
  return [(await h.json(path)) as T, JSON.parse(JSON.stringify(direct())) as T];
}

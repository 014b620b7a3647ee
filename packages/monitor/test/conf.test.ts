import { afterEach, expect, test } from "vitest";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { NatsServer, optionsFromConf, parseConf } from "@nats-ts/core";
import { monitorPlugin, type MonitorPlugin } from "../src/index.js";
import { eventually } from "./helpers.js";

// The monitor driven by a conf file the way the Go server is: accounts, a system account, users,
// http_base_path and server_metadata all come from the file.

const CONF = `
port: -1
host: 127.0.0.1
http: "127.0.0.1:-1"
http_base_path: /mon
server_name: conf-test
server_metadata { team: messaging }
accounts {
  SYS { users [{ user: sys, password: sys }] }
  APP { users [{ user: app, password: app }] }
}
system_account: SYS
`;

let server: NatsServer | undefined;
const clients: NatsConnection[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await server?.shutdown();
});

async function start(): Promise<MonitorPlugin> {
  const { options, warnings } = optionsFromConf(parseConf(CONF));
  expect(warnings).toEqual([]);
  const monitor = monitorPlugin();
  server = new NatsServer(options, { plugins: [monitor] });
  await server.start();
  return monitor;
}

const client = async (user: string) => {
  const nc = await connect({ servers: server!.clientURL, user, pass: user, name: user });
  clients.push(nc);
  return nc;
};

test("a conf file's accounts, system account and base path drive monitoring and events", async () => {
  const monitor = await start();
  const base = `http://127.0.0.1:${monitor.httpPort}/mon`;
  const varz = await (await fetch(`${base}/varz`)).json();
  expect(varz).toMatchObject({ server_name: "conf-test", system_account: "SYS", http_base_path: "/mon", metadata: { team: "messaging" } });
  const accountz = await (await fetch(`${base}/accountz`)).json();
  expect(accountz.system_account).toBe("SYS");
  expect(accountz.accounts).toEqual(expect.arrayContaining(["$G", "SYS", "APP"]));

  const sys = await client("sys");
  const events: { subject: string; data: any }[] = [];
  sys.subscribe("$SYS.ACCOUNT.APP.>", { callback: (_e: unknown, m: Msg) => void events.push({ subject: m.subject, data: m.json() }) });
  await sys.flush();
  const app = await client("app");
  const connectEvent = await eventually(() => events.find((e) => e.subject === "$SYS.ACCOUNT.APP.CONNECT"));
  expect(connectEvent.data.client).toMatchObject({ acc: "APP", user: "app", name: "app" });

  const connz = (await sys.request("$SYS.REQ.ACCOUNT.APP.CONNZ", "", { timeout: 2000 })).json<any>();
  expect(connz.data.connections.map((c: any) => c.name)).toEqual(["app"]);
  const own = (await app.request("$SYS.REQ.ACCOUNT.PING.CONNZ", "", { timeout: 2000 })).json<any>();
  expect(own.data.connections.map((c: any) => c.name)).toEqual(["app"]);

  const connzHttp = await (await fetch(`${base}/connz?auth=1&acc=APP`)).json();
  expect(connzHttp.connections.map((c: any) => [c.authorized_user, c.account])).toEqual([["app", "APP"]]);
});

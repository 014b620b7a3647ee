import type { Server } from "node:net";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { NatsServer, optionsFromConf, parseConf, type Logger } from "@nats-ts/core";
import { clusterPlugin } from "../../src/index.js";
import { RawConn } from "./raw-conn.js";
import { startChild, startGo, startInProcess, type TestServer } from "./servers.js";

/** An in-process server whose log lines are kept: `[LVL] message` in `lines`, their times in `times`. */
export type LoggedServer = TestServer & { server: NatsServer; lines: string[]; times: number[] };

/** A logger keeping every line but traces (debug included) as `[LVL] message` in `lines`, with their times. */
export function capturingLogger(): { logger: Logger; lines: string[]; times: number[] } {
  const lines: string[] = [];
  const times: number[] = [];
  const put = (level: string) => (m: string) => {
    lines.push(`[${level}] ${m}`);
    times.push(Date.now());
  };
  const logger: Logger = {
    info: put("INF"),
    warn: put("WRN"),
    error: put("ERR"),
    fatal: put("FTL"),
    debug: put("DBG"),
    trace: () => {},
    debugEnabled: true,
    traceEnabled: false,
  };
  return { logger, lines, times };
}

/**
 * Tracks what a test starts (servers, clients, raw connections) so that afterEach stops all of it.
 *
 * @example
 * const topo = new Topology();
 * afterEach(() => topo.stop());
 * const a = await topo.inProcess(`port: -1\ncluster { port: -1 }`);
 */
export class Topology {
  readonly servers: TestServer[] = [];
  readonly clients: NatsConnection[] = [];
  readonly raws: RawConn[] = [];
  /** Fake peers' listeners a test opened. */
  readonly listeners: Server[] = [];

  async inProcess(conf: string): Promise<TestServer & { server: NatsServer }> {
    return this.track(await startInProcess(conf));
  }

  /** An in-process server logging everything (debug included) into `lines`. */
  async logged(conf: string): Promise<LoggedServer> {
    const { logger, lines, times } = capturingLogger();
    const server = new NatsServer(optionsFromConf(parseConf(conf)).options, { logger, plugins: [clusterPlugin()] });
    await server.start();
    return this.track({
      kind: "nats-ts" as const,
      server,
      lines,
      times,
      port: server.port,
      url: `nats://127.0.0.1:${server.port}`,
      log: () => lines.join("\n"),
      stop: () => server.shutdown(),
    });
  }

  async go(conf: string): Promise<TestServer> {
    return this.track(await startGo(conf));
  }

  async child(conf: string): Promise<TestServer> {
    return this.track(await startChild(conf));
  }

  track<T extends TestServer>(s: T): T {
    this.servers.push(s);
    return s;
  }

  async client(url: string, opts: Record<string, unknown> = {}): Promise<NatsConnection> {
    const nc = await connect({ servers: url, reconnect: false, ...opts });
    this.clients.push(nc);
    return nc;
  }

  async raw(port: number): Promise<RawConn> {
    return this.keepRaw(await RawConn.open(port));
  }

  /** A raw connection opened elsewhere (a fake route or leaf handshake), closed at {@link stop}. */
  keepRaw(c: RawConn): RawConn {
    this.raws.push(c);
    return c;
  }

  /** A listener of a fake peer, closed at {@link stop}. */
  keepListener(l: Server): Server {
    this.listeners.push(l);
    return l;
  }

  async stop(): Promise<void> {
    for (const r of this.raws.splice(0)) r.close();
    for (const l of this.listeners.splice(0)) l.close();
    await Promise.all(this.clients.splice(0).map((c) => c.close().catch(() => {})));
    await Promise.all(this.servers.splice(0).map((s) => s.stop().catch(() => {})));
  }
}

import { createServer, type Server as NetServer, type Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { listenerUrls, planAuth, type NatsServer, type ServerPlugin } from "@nats-ts/core";
import { MqttBroker } from "./broker.js";
import { MqttConnection } from "./connection.js";
import { MonitoredMqttConnection, mqttTlsInfo, type MqttTlsInfo } from "./monitoring.js";
import { tcpTransport, webSocketTransport, type MqttTransport, type WebSocketLike } from "./transport.js";
import { mqttOptionsFromConf, validateMqttOptions, type MqttOptions } from "./options.js";
import { mqttTlsServer } from "./tls.js";
import { REASON } from "./v5.js";

/** What the "websocket" plugin offers other protocols (structural: this package does not import @nats-ts/ws). */
interface WebsocketRoutes {
  addRoute(pathSuffix: string, route: { protocol?: string; accept(socket: WebSocketLike, info: { remoteAddress: string; remotePort: number }): void }): void;
}

/** One connected MQTT client. */
export interface MqttClientInfo {
  clientId: string;
  account: string;
  user?: string;
  /** host:port of the client. */
  remote: string;
}

/**
 * The "mqtt" server plugin: MQTT 3.1.1 and 5.0 clients on their own listener (TLS with `tls`), exchanging messages with
 * NATS clients on the same subjects. Configured by the `mqtt {}` conf block or by the options
 * given here (which win over the block). It stays idle while the port is 0.
 *
 * @example
 * const server = new NatsServer({ port: -1, serverName: "n1", jetstream: { store_dir: dir } }, {
 *   plugins: [jetstreamPlugin(), mqttPlugin({ port: 1883 })],
 * });
 * await server.start(); // MQTT clients connect to mqtt://127.0.0.1:1883
 */
export class MqttPlugin implements ServerPlugin {
  readonly name = "mqtt";
  readonly blocks = ["mqtt"] as const;
  private netServer: NetServer | undefined;
  private broker: MqttBroker | undefined;
  private boundPort = 0;
  private readonly connections = new Set<MqttConnection>();

  constructor(private readonly input: MqttOptions = {}) {}

  /** The bound port, 0 while not listening. */
  get port(): number {
    return this.boundPort;
  }

  /** Open MQTT connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** The connected MQTT clients, for monitoring. */
  clients(): MqttClientInfo[] {
    const out: MqttClientInfo[] = [];
    for (const c of this.connections) {
      if (c.identity !== undefined) out.push({ clientId: c.clientId, account: c.identity.account.name, user: c.identity.user, remote: c.remote });
    }
    return out;
  }

  async start(server: NatsServer): Promise<void> {
    const block = server.opts.blocks.mqtt;
    const given = Object.fromEntries(Object.entries(this.input).filter(([, v]) => v !== undefined)) as MqttOptions;
    const options: MqttOptions = { ...(block === undefined ? {} : mqttOptionsFromConf(block)), ...given };
    if (!options.port) return;
    const { plan } = planAuth(server.opts);
    const blocks = server.opts.blocks;
    const problem = validateMqttOptions(options, {
      serverName: server.opts.serverName,
      clustered: blocks.cluster !== undefined || blocks.gateway !== undefined || blocks.leafnodes !== undefined || blocks.leaf !== undefined,
      jetStream: server.opts.jetstream !== false,
      users: new Set([...plan.users.keys(), ...plan.nkeys.keys()]),
    });
    if (problem !== undefined) throw new Error(problem);
    const broker = new MqttBroker(server, options);
    this.broker = broker;
    const host = options.host ?? "0.0.0.0";
    const netServer =
      options.tls === undefined
        ? createServer({ noDelay: true }, (socket) => this.acceptSocket(socket, broker))
        : mqttTlsServer(options.tls, (socket) => this.acceptSocket(socket, broker), (message) => server.log.debug(`MQTT ${message}`));
    this.netServer = netServer;
    await new Promise<void>((resolve, reject) => {
      netServer.once("error", reject);
      netServer.listen({ host, port: options.port === -1 ? 0 : options.port }, () => {
        netServer.off("error", reject);
        resolve();
      });
    });
    netServer.on("error", (err) => server.log.error(`Error accepting MQTT connection: ${err.message}`));
    const addr = netServer.address();
    this.boundPort = typeof addr === "object" && addr !== null ? addr.port : (options.port ?? 0);
    const scheme = options.tls === undefined ? "mqtt" : "tls";
    server.listeners.mqtt = listenerUrls(scheme, host, this.boundPort);
    server.log.info(`Listening for MQTT clients on ${scheme}://${host}:${this.boundPort}`);
    broker.start();
    // MQTT over WebSocket: the websocket listener hands us upgrades whose path ends with /mqtt (as Go).
    server.plugin<ServerPlugin & Partial<WebsocketRoutes>>("websocket")?.addRoute?.("/mqtt", {
      protocol: "mqtt",
      accept: (ws, info) => this.accept(webSocketTransport(ws, info.remoteAddress, info.remotePort), broker),
    });
  }

  async stop(): Promise<void> {
    const netServer = this.netServer;
    this.netServer = undefined;
    for (const c of [...this.connections]) c.close("server shutdown", false, REASON.SERVER_SHUTTING_DOWN);
    this.broker?.closeAll();
    if (netServer !== undefined) await new Promise<void>((resolve) => netServer.close(() => resolve()));
    this.boundPort = 0;
  }

  private acceptSocket(socket: Socket, broker: MqttBroker): void {
    this.accept(tcpTransport(socket), broker, socket instanceof TLSSocket ? mqttTlsInfo(socket) : undefined);
  }

  private accept(transport: MqttTransport, broker: MqttBroker, tls?: MqttTlsInfo): void {
    const { server } = broker;
    if (!server.isRunning || server.isLameDuck) {
      transport.destroy();
      return;
    }
    // Like Go, MQTT clients are clients: listed by /connz and counted toward max_connections.
    const registry = server.foreignConnections;
    const monitored = new MonitoredMqttConnection(registry.allocateCid(), transport, tls, registry);
    if (!registry.add(monitored)) {
      broker.log.error(`${transport.remoteAddress}:${transport.remotePort} - MQTT maximum connections exceeded`);
      transport.destroy();
      return;
    }
    const conn = new MqttConnection(monitored.cid, transport, broker);
    monitored.observe(conn);
    this.connections.add(conn);
    transport.onClose(() => this.connections.delete(conn));
  }
}

/**
 * Creates the "mqtt" plugin.
 *
 * @example
 * new NatsServer({ serverName: "n1", jetstream: { store_dir: dir } }, { plugins: [jetstreamPlugin(), mqttPlugin({ port: -1 })] });
 */
export function mqttPlugin(options?: MqttOptions): MqttPlugin {
  return new MqttPlugin(options);
}

import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { NatsServer, type NatsServerConfig, type ServerOptionsInput } from "../src/index.js";

/** Starts a server on an ephemeral loopback port; stop it with `server.shutdown()`. */
export async function startServer(opts: ServerOptionsInput = {}, config: NatsServerConfig = {}): Promise<NatsServer> {
  const server = new NatsServer({ host: "127.0.0.1", port: 0, ...opts }, config);
  await server.start();
  return server;
}

export function connectTo(server: NatsServer, opts: ConnectionOptions = {}): Promise<NatsConnection> {
  return connect({ servers: server.clientURL, reconnect: false, ...opts });
}

/** Runs `fn` with a server and closes everything it opened afterwards. */
export async function withServer<T>(
  opts: ServerOptionsInput,
  fn: (server: NatsServer) => Promise<T>,
): Promise<T> {
  const server = await startServer(opts);
  try {
    return await fn(server);
  } finally {
    await server.shutdown();
  }
}

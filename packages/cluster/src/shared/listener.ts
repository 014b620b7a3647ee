import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "@nats-ts/core";
import { joinHostPort } from "./addresses.js";

/** How Go words one kind of server-to-server listener in its logs and errors. */
export interface PeerListenerWords {
  /** "Error listening on <port> port" (Go: router, leafnode, gateway). */
  port: string;
  /** "Error accepting <connection> connection" (route, leafnode, gateway). */
  connection: string;
  /** "Listening for <connections> connections on" (route, leafnode, gateways). */
  connections: string;
}

/**
 * Opens a route, leaf node or gateway listener on `host:port` (-1: a random port) and logs it
 * as Go does; a port that can not be bound fails with Go's startup error.
 *
 * @example
 * const { server, port } = await listenForPeers(log, "127.0.0.1", -1, ROUTE_WORDS, (socket) => accept(socket));
 */
export async function listenForPeers(
  log: Logger,
  host: string,
  port: number,
  words: PeerListenerWords,
  onSocket: (socket: Socket) => void,
): Promise<{ server: Server; port: number }> {
  const server = createServer({ noDelay: true }, onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`Error listening on ${words.port} port: ${port} - ${e.message}`)));
    server.listen({ host, port: port === -1 ? 0 : port }, () => resolve());
  });
  server.on("error", (e) => log.error(`Error accepting ${words.connection} connection: ${e.message}`));
  const bound = (server.address() as { port: number }).port;
  log.info(`Listening for ${words.connections} connections on ${joinHostPort(host, bound)}`);
  return { server, port: bound };
}

/** Closes a listener; resolves once it stopped accepting. */
export function closeListener(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
}

import { NatsServer, optionsFromConf, parseConf, resolveOptions, type ServerOptions } from "../src/index.js";

/** Options from conf text, the way the executable reads a file (validated, defaults filled in). */
export function confOptions(text: string): ServerOptions {
  const { options } = optionsFromConf(parseConf(text, { env: {} }));
  return resolveOptions({ host: "127.0.0.1", port: 0, ...options });
}

/** Starts a server from conf text on an ephemeral loopback port. */
export async function startFromConf(text: string): Promise<NatsServer> {
  const server = new NatsServer(confOptions(text));
  await server.start();
  return server;
}

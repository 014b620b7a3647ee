// The nats-ts server for the benchmark, in its own process (as the Go server is): a TCP
// listener and a plain WebSocket listener on random loopback ports, printed as one JSON line.
import { NatsServer } from "@nats-ts/core";
import { websocketPlugin } from "../dist/index.js";

const compression = process.argv.includes("--compression");
const plugin = websocketPlugin({ host: "127.0.0.1", port: -1, noTls: true, compression });
const server = new NatsServer({ host: "127.0.0.1", port: 0 }, { plugins: [plugin] });
await server.start();
process.stdout.write(`${JSON.stringify({ tcp: server.clientURL, ws: plugin.url })}\n`);
process.on("SIGTERM", () => server.shutdown().then(() => process.exit(0)));

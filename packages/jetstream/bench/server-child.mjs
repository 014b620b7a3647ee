// nats-ts with JetStream in its own process for the benchmarks: prints {"port":N} when ready.
import { NatsServer } from "@nats-ts/core";
import { jetstreamPlugin } from "../dist/index.js";

const [storeDir, sync = "always"] = process.argv.slice(2);
const server = new NatsServer({ host: "127.0.0.1", port: 0, jetstream: { store_dir: storeDir, sync_interval: sync } }, { plugins: [jetstreamPlugin()] });
await server.start();
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on("SIGTERM", () => void server.shutdown().then(() => process.exit(0)));

// nats-ts with JetStream and the MQTT listener in its own process for the benchmark:
// prints {"mqttPort":N} when ready.
import { NatsServer } from "@nats-ts/core";
import { jetstreamPlugin } from "@nats-ts/jetstream";
import { mqttPlugin } from "../dist/index.js";

const [storeDir] = process.argv.slice(2);
const mqtt = mqttPlugin({ host: "127.0.0.1", port: -1 });
const server = new NatsServer(
  { host: "127.0.0.1", port: 0, serverName: "bench", jetstream: { store_dir: storeDir } },
  { plugins: [jetstreamPlugin(), mqtt] },
);
await server.start();
process.stdout.write(`${JSON.stringify({ mqttPort: mqtt.port })}\n`);
process.on("SIGTERM", () => void server.shutdown().then(() => process.exit(0)));

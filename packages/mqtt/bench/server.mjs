// nats-ts with JetStream and the MQTT listener in its own process for the benchmark:
// prints {"mqttPort":N} when ready. An optional second argument sets the jetstream sync_interval
// (nats-ts syncs every stored message by default; Go syncs every 2 minutes).
import { NatsServer } from "@nats-ts/core";
import { jetstreamPlugin } from "@nats-ts/jetstream";
import { mqttPlugin } from "../dist/index.js";

const [storeDir, syncInterval] = process.argv.slice(2);
const mqtt = mqttPlugin({ host: "127.0.0.1", port: -1 });
const server = new NatsServer(
  { host: "127.0.0.1", port: 0, serverName: "bench", jetstream: { store_dir: storeDir, ...(syncInterval ? { sync_interval: syncInterval } : {}) } },
  { plugins: [jetstreamPlugin(), mqtt] },
);
await server.start();
process.stdout.write(`${JSON.stringify({ mqttPort: mqtt.port })}\n`);
process.on("SIGTERM", () => void server.shutdown().then(() => process.exit(0)));

// A nats-ts server with the cluster plugin in a child process, from the built packages:
//   node child-server.mjs <conf file>
// Prints "READY <client port>" on stdout once listening; log lines go to stderr.
import { NatsServer, createLogger, loadConfFile, optionsFromConf } from "@nats-ts/core";
import { clusterPlugin } from "../../dist/index.js";

const { options } = optionsFromConf(loadConfFile(process.argv[2]));
const logger = createLogger({ debug: true, trace: process.env.NATS_TS_TRACE === "1", logtime: false });
const server = new NatsServer(options, { logger, plugins: [clusterPlugin()] });
await server.start();
process.stdout.write(`READY ${server.port}\n`);
const stop = () => server.shutdown().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

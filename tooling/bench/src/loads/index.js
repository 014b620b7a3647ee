// Every load `pnpm bench` knows, in report order. Add a new load (JetStream, cluster,
// WebSocket, MQTT, ...) as its own module in this folder and list it here.
import { fanOut, pubOnly, pubSub } from "./core-pubsub.js";
import { leafPubSub, routePubSub } from "./cross-node.js";
import { idleConnections } from "./idle-connections.js";
import { jsPublishAsync, jsPublishSync } from "./jetstream-publish.js";
import { requestReply } from "./request-reply.js";

/** @type {import("../load-types.js").Load[]} */
export const LOADS = [pubOnly, pubSub, fanOut, requestReply, routePubSub, leafPubSub, jsPublishSync, jsPublishAsync, idleConnections];

import { ApiError, apiErrors } from "../errors/index.js";
import type { ApiRoute } from "./router.js";
import { clusterRequired, requireStream, type ApiRequest } from "./stream-api.js";
import { ResponseType } from "./types.js";

/**
 * Forwards a `$JS.API.CONSUMER.*` request to the ConsumerManager of the stream named at
 * `streamToken`. The manager gets the raw request payload (it decodes it itself).
 */
function forward(op: string, streamToken: number) {
  return (req: ApiRequest, reply: string): Promise<Record<string, unknown> | undefined> | Record<string, unknown> => {
    const stream = requireStream(req.jsa, req.tokens[streamToken]);
    const consumers = stream.consumers;
    if (consumers === undefined) {
      if (op === "NAMES") return { total: 0, offset: 0, limit: 1024, consumers: [] };
      if (op === "LIST") return { total: 0, offset: 0, limit: 256, consumers: [] };
      if (op === "CREATE" || op === "DURABLE.CREATE") {
        throw new ApiError(apiErrors.JSConsumerCreateErrF, { err: "consumers are not available in this build" });
      }
      throw new ApiError(apiErrors.JSConsumerNotFoundErr);
    }
    if (op === "CREATE" || op === "DURABLE.CREATE") checkAccountConsumerLimit(req, consumers.names());
    return consumers.handleApi(op, req.tokens, req.payload, reply) as Promise<Record<string, unknown> | undefined>;
  };
}

/** The account's max_consumers (Go checks it when a consumer is added, not on updates). */
function checkAccountConsumerLimit(req: ApiRequest, existing: string[]): void {
  const max = req.jsa.limits.max_consumers;
  if (max <= 0 || req.jsa.consumerCount() < max) return;
  let name: string | undefined = req.tokens[3] === "DURABLE" ? req.tokens[6] : req.tokens[5];
  if (name === undefined) {
    try {
      const cfg = (JSON.parse(req.payload.toString()) as { config?: { name?: string; durable_name?: string } }).config;
      name = cfg?.name ?? cfg?.durable_name;
    } catch {
      return; // the consumer manager answers the bad JSON
    }
  }
  if (name === undefined || !existing.includes(name)) throw new ApiError(apiErrors.JSMaximumConsumersLimitErr);
}

export const consumerRoutes: ApiRoute[] = [
  { subject: "$JS.API.CONSUMER.CREATE.*", type: ResponseType.consumerCreate, handler: forward("CREATE", 4) },
  { subject: "$JS.API.CONSUMER.CREATE.*.>", type: ResponseType.consumerCreate, handler: forward("CREATE", 4) },
  { subject: "$JS.API.CONSUMER.DURABLE.CREATE.*.*", type: ResponseType.consumerCreate, handler: forward("DURABLE.CREATE", 5) },
  { subject: "$JS.API.CONSUMER.NAMES.*", type: ResponseType.consumerNames, handler: forward("NAMES", 4) },
  { subject: "$JS.API.CONSUMER.LIST.*", type: ResponseType.consumerList, handler: forward("LIST", 4) },
  { subject: "$JS.API.CONSUMER.INFO.*.*", type: ResponseType.consumerInfo, handler: forward("INFO", 4) },
  { subject: "$JS.API.CONSUMER.DELETE.*.*", type: ResponseType.consumerDelete, handler: forward("DELETE", 4) },
  { subject: "$JS.API.CONSUMER.PAUSE.*.*", type: ResponseType.consumerPause, handler: forward("PAUSE", 4) },
  { subject: "$JS.API.CONSUMER.UNPIN.*.*", type: ResponseType.consumerUnpin, handler: forward("UNPIN", 4) },
  { subject: "$JS.API.CONSUMER.MSG.NEXT.*.*", type: "", handler: forward("MSG.NEXT", 5) },
  { subject: "$JS.API.CONSUMER.LEADER.STEPDOWN.*.*", type: ResponseType.consumerLeaderStepDown, handler: clusterRequired },
];

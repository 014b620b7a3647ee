/**
 * JetStream consumers: the consumer half of the `$JS.API`, pull and push delivery, acks,
 * redelivery, priority groups, retention interplay and durable state.
 *
 * The seam with the stream side:
 * - The stream implements {@link ConsumerHost} and creates one {@link ConsumerManager}
 *   per stream (`storeDir` = where that stream's consumer state lives, or undefined for memory;
 *   `clock` optional, for tests).
 * - It routes consumer API requests to `handleApi(op, tokens, request, reply)`: `request` is
 *   the parsed JSON body or the raw payload (MSG.NEXT wants the raw payload: Buffer/string).
 *   The result is the whole response object including its `type`; errors are thrown as
 *   ApiError (`{code, err_code, description}`), answered as `{"type":..., "error": err}`.
 * - MSG.NEXT answers on `reply` itself and returns undefined.
 * - Under interest retention, ask `interestDone(seq)` after storing a message; consumers
 *   remove acknowledged messages through `host.store.removeMsg` themselves (interest and
 *   workqueue), and on an interest stream also what nobody wants once a consumer is deleted
 *   or its filter narrowed.
 * - If the host also has `onPurged(listener)` (the Stream does), consumers move past purged
 *   messages at once (ack floors, pending, num_pending), as Go's consumer purge does.
 * - Durable state: one folder per consumer under `storeDir` with `consumer.json` (name,
 *   created, config) and the storage package's FileConsumerStore state (Go's encoding),
 *   written at most once a second and on stop; memory streams and `mem_storage` consumers
 *   keep state in memory only.
 *
 * @example
 * const consumers = new ConsumerManager(host, { storeDir: join(streamDir, "obs") });
 * const created = await consumers.handleApi("CREATE", subject.split("."), body, reply);
 */
export { ConsumerManager, type ConsumerManagerOptions } from "./manager.js";
export type { ConsumerHost } from "../stream/consumer-host.js";
export type { ConsumerConfigJson, StreamConfigView, ConsumerLimits } from "./config.js";

import { createHash } from "node:crypto";

/**
 * Replies routed back across gateways: a request leaving a cluster may carry its reply subject
 * as `_GR_.<cluster hash>.<server hash>.<reply>` so the answer goes straight to the cluster
 * (and server) it came from, whatever interest the other side knows about yet (Go's
 * gwReplyPrefix in gateway.go).
 */
export const GW_REPLY_PREFIX = "_GR_.";
const HASH_LEN = 6;
const CLUSTER_OFFSET = GW_REPLY_PREFIX.length;
const SERVER_OFFSET = CLUSTER_OFFSET + HASH_LEN + 1;
/** Where the original reply starts in a routed one. */
export const GW_SUBJECT_OFFSET = SERVER_OFFSET + HASH_LEN + 1;

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * Go's getGWHash: the first 6 bytes of the SHA-256 of a name, each mapped to a base-62 digit.
 *
 * @example
 * gatewayHash("A"); // 6 characters, the same on every server
 */
export function gatewayHash(name: string): string {
  const sum = createHash("sha256").update(name).digest();
  let out = "";
  for (let i = 0; i < HASH_LEN; i++) out += DIGITS[sum[i] % DIGITS.length];
  return out;
}

/** The prefix this server puts before the replies it maps: `_GR_.<cluster>.<server>.`. */
export function gatewayReplyPrefix(clusterName: string, serverId: string): string {
  return `${GW_REPLY_PREFIX}${gatewayHash(clusterName)}.${gatewayHash(serverId)}.`;
}

/** Whether a subject is a routed reply (long enough to hold both hashes and a subject). */
export function isGatewayRoutedReply(subject: string): boolean {
  return subject.length > GW_SUBJECT_OFFSET && subject.startsWith(GW_REPLY_PREFIX);
}

/** The cluster hash of a routed reply. */
export function routedReplyCluster(subject: string): string {
  return subject.slice(CLUSTER_OFFSET, CLUSTER_OFFSET + HASH_LEN);
}

/** The original reply inside a routed one. */
export function routedReplySubject(subject: string): string {
  return subject.slice(GW_SUBJECT_OFFSET);
}

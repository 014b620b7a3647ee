/** Go's DEFAULT_LEAF_NODE_RECONNECT. */
export const DEFAULT_RECONNECT_INTERVAL = 1_000;
/** Go's DEFAULT_ROUTE_DIAL, which leaf remotes use too: how long a TCP connect may take. */
export const DEFAULT_DIAL_TIMEOUT = 1_000;
/** The longest wait between two reconnect attempts of one remote. */
export const MAX_RECONNECT_DELAY = 30_000;
/** Go's DEFAULT_LEAFNODE_INFO_WAIT: how long a soliciting server waits for the hub's INFO. */
export const DEFAULT_FIRST_INFO_TIMEOUT = 1_000;
/** Go's DEFAULT_LEAF_TLS_TIMEOUT, in seconds. */
export const DEFAULT_TLS_TIMEOUT = 2;
/** Go's AUTH_TIMEOUT default, in seconds, for an accepted leaf connection to send CONNECT. */
export const DEFAULT_AUTH_TIMEOUT = 2;
/** Go's default leaf node port (when a remote URL names none). */
export const DEFAULT_LEAF_PORT = 7422;
/** Go's connectProcessTimeout: how long a soliciting server waits for the hub's answer to CONNECT. */
export const CONNECT_PROCESS_TIMEOUT = 2_000;
/** Go waits this long before reconnecting a remote whose connection closed on a loop. */
export const RECONNECT_DELAY_AFTER_LOOP = 30_000;
/** Go waits this long before reconnecting after a permissions violation or same cluster name. */
export const RECONNECT_DELAY_AFTER_VIOLATION = 30_000;

/**
 * A queue group's weight on a leaf connection is held as that many members in the sublist (so that
 * picking one at random is weighted); a peer can not make this server hold more than this many.
 */
export const MAX_QUEUE_WEIGHT = 1024;

/** Prefix of the loop detection subjects (Go's leafNodeLoopDetectionSubjectPrefix). */
export const LDS_PREFIX = "$LDS.";
/** Reply prefixes of gateway-routed requests: interest in them is never filtered. */
export const GW_REPLY_PREFIX = "_GR_.";
export const OLD_GW_REPLY_PREFIX = "$GR.";
/** Reply subjects of service imports (Go's isServiceReply): responses cross whatever the permissions. */
export const SERVICE_REPLY_PREFIX = "_R_.";

/** Go's error texts for leaf connections (server/errors.go). */
export const ERR_WRONG_PORT = "attempted to connect to wrong port";
export const ERR_CLIENT_ON_LEAF_PORT = "attempted to connect to leaf node port";
export const ERR_CLUSTER_NAME_SPACES = "cluster name cannot contain spaces";
export const ERR_SAME_CLUSTER_NAME = "remote leafnode has same cluster name";
export const ERR_DUPLICATE_CONNECTION = "Duplicate Remote LeafNode Connection";
export const ERR_AUTH_VIOLATION = "Authorization Violation";
export const ERR_AUTH_TIMEOUT = "Authentication Timeout";
export const ERR_STALE_CONNECTION = "Stale Connection";

/** JetStream API subjects that never cross a leaf connection of a non-system account (Go's denyAllClientJs). */
export const DENY_CLIENT_JS = ["$JS.API.>", "$KV.>", "$OBJ.>"];

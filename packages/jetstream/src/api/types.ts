/** JetStream API response type names (Go's JSApi*ResponseType). */
export const ResponseType = {
  accountInfo: "io.nats.jetstream.api.v1.account_info_response",
  streamCreate: "io.nats.jetstream.api.v1.stream_create_response",
  streamUpdate: "io.nats.jetstream.api.v1.stream_update_response",
  streamInfo: "io.nats.jetstream.api.v1.stream_info_response",
  streamNames: "io.nats.jetstream.api.v1.stream_names_response",
  streamList: "io.nats.jetstream.api.v1.stream_list_response",
  streamDelete: "io.nats.jetstream.api.v1.stream_delete_response",
  streamPurge: "io.nats.jetstream.api.v1.stream_purge_response",
  streamLeaderStepDown: "io.nats.jetstream.api.v1.stream_leader_stepdown_response",
  streamRemovePeer: "io.nats.jetstream.api.v1.stream_remove_peer_response",
  streamSnapshot: "io.nats.jetstream.api.v1.stream_snapshot_response",
  streamRestore: "io.nats.jetstream.api.v1.stream_restore_response",
  msgGet: "io.nats.jetstream.api.v1.stream_msg_get_response",
  msgDelete: "io.nats.jetstream.api.v1.stream_msg_delete_response",
  consumerCreate: "io.nats.jetstream.api.v1.consumer_create_response",
  consumerInfo: "io.nats.jetstream.api.v1.consumer_info_response",
  consumerNames: "io.nats.jetstream.api.v1.consumer_names_response",
  consumerList: "io.nats.jetstream.api.v1.consumer_list_response",
  consumerDelete: "io.nats.jetstream.api.v1.consumer_delete_response",
  consumerPause: "io.nats.jetstream.api.v1.consumer_pause_response",
  consumerUnpin: "io.nats.jetstream.api.v1.consumer_unpin_response",
  consumerLeaderStepDown: "io.nats.jetstream.api.v1.consumer_leader_stepdown_response",
} as const;

/** Go's JSApiNamesLimit and JSApiListLimit: page sizes of NAMES and LIST responses. */
export const NAMES_LIMIT = 1024;
export const LIST_LIMIT = 256;

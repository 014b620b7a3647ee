/** Go's JetStreamAccountLimits (JSON names); -1 means unlimited. */
export interface AccountLimits {
  max_memory: number;
  max_storage: number;
  max_streams: number;
  max_consumers: number;
  max_ack_pending: number;
  memory_max_stream_bytes: number;
  storage_max_stream_bytes: number;
  max_bytes_required: boolean;
}

/** The limits of an account with no JetStream limits configured. */
export const UNLIMITED: AccountLimits = {
  max_memory: -1,
  max_storage: -1,
  max_streams: -1,
  max_consumers: -1,
  max_ack_pending: -1,
  memory_max_stream_bytes: -1,
  storage_max_stream_bytes: -1,
  max_bytes_required: false,
};

/** Account limits from a user-supplied partial (conf-style names accepted: max_mem, max_file, max_store). */
export function accountLimitsFrom(input: Record<string, unknown> | undefined): AccountLimits {
  if (input === undefined) return { ...UNLIMITED };
  const num = (...keys: string[]): number => {
    for (const k of keys) if (typeof input[k] === "number") return input[k] as number;
    return -1;
  };
  return {
    max_memory: num("max_memory", "max_mem"),
    max_storage: num("max_storage", "max_file", "max_store"),
    max_streams: num("max_streams"),
    max_consumers: num("max_consumers"),
    max_ack_pending: num("max_ack_pending"),
    memory_max_stream_bytes: num("memory_max_stream_bytes", "max_memory_stream", "mem_max_stream_bytes"),
    storage_max_stream_bytes: num("storage_max_stream_bytes", "max_file_stream", "disk_max_stream_bytes"),
    max_bytes_required: input.max_bytes_required === true,
  };
}

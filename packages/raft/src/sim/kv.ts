/** A client operation on the simulated key-value store, as carried in a log entry. */
export type KvOp =
  | { client: number; seq: number; kind: "put"; key: string; value: string }
  | { client: number; seq: number; kind: "get"; key: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeKvOp(op: KvOp): Uint8Array {
  return encoder.encode(JSON.stringify(op));
}

export function decodeKvOp(data: Uint8Array): KvOp {
  return JSON.parse(decoder.decode(data)) as KvOp;
}

/** The replicated state machine of the simulator: a map from key to value. */
export class KvStore {
  private data = new Map<string, string>();

  /** Applies an operation and returns what the client sees (the value read, or null). */
  apply(op: KvOp): string | null {
    if (op.kind === "put") {
      this.data.set(op.key, op.value);
      return null;
    }
    return this.data.get(op.key) ?? null;
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify([...this.data.entries()].sort()));
  }

  restore(data: Uint8Array): void {
    this.data = new Map(data.length === 0 ? [] : (JSON.parse(decoder.decode(data)) as [string, string][]));
  }
}

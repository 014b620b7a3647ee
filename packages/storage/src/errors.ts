/**
 * Store errors carry the Go server's exact texts (server/store.go, server/errors.go) so that
 * layers above can surface them unchanged.
 */
export const StoreErrorText = {
  StoreClosed: "store is closed",
  MsgNotFound: "no message found",
  StoreEOF: "stream store EOF",
  MaxMsgs: "maximum messages exceeded",
  MaxBytes: "maximum bytes exceeded",
  MaxMsgsPerSubject: "maximum messages per subject exceeded",
  SnapshotInProgress: "snapshot in progress",
  MsgTooLarge: "message too large",
  SequenceMismatch: "expected sequence does not match store",
  CorruptStreamState: "stream state snapshot is corrupt",
  TooManyResults: "too many matching results for request",
  StoreOldUpdate: "old update ignored",
  NoAckPolicy: "ack policy is none",
  BadSubject: "invalid subject",
  PartialPurge: "partial purges not supported on memory store",
  BadKey: "unable to recover keys",
  NoEncryptionKey: "encrypted store encountered with no main key",
  CorruptState: "corrupt state file",
  BadConfig: "invalid store configuration",
  Io: "storage I/O error",
  BadAckFloorConsumer: "bad ack floor for consumer",
  BadAckFloorStream: "bad ack floor for stream",
  BadPendingEntry: "bad pending entry, sequence out of range",
  // Not in Go, whose sequences are unsigned integers: a negative, fractional or unsafe number.
  BadSequence: "invalid sequence",
} as const;

export type StoreErrorCode = keyof typeof StoreErrorText;

/**
 * The one error class thrown by stores. `code` identifies it; `message` is Go's text.
 * For load operations that ran past the end, `skip` carries the sequence Go returns beside
 * the error (the store's last sequence for forward scans, first sequence for backward ones).
 *
 * @example
 * try { store.loadMsg(99) } catch (e) { if (isStoreError(e, "MsgNotFound")) ... }
 */
export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    detail?: string,
    readonly skip?: number,
    options?: { cause?: unknown },
  ) {
    super(detail ? `${StoreErrorText[code]}: ${detail}` : StoreErrorText[code], options);
  }
}

/** True when `e` is a StoreError, optionally of the given code. */
export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}

export const storeError = (code: StoreErrorCode, detail?: string, skip?: number): StoreError =>
  new StoreError(code, detail, skip);

import { S2StreamWriter } from "./s2-stream.js";

// Compression of route and leaf connections as Go 2.10+ negotiates it (server.go): each side
// announces its configured mode in INFO (`compression`), each side picks the mode it will
// write with from its own and the peer's, and a peer that announces nothing is an older server
// ("not supported"): then the connection stays exactly as before compression existed.

/** Go's compression mode names, as configured, announced and shown in /routez and /leafz. */
export const CompressionMode = {
  NotSupported: "not supported",
  Off: "off",
  Accept: "accept",
  S2Auto: "s2_auto",
  S2Uncompressed: "s2_uncompressed",
  S2Fast: "s2_fast",
  S2Better: "s2_better",
  S2Best: "s2_best",
} as const;

/** Go's default s2_auto thresholds in milliseconds: up to 10 ms uncompressed, 50 fast, 100 better, above that best. */
export const DEFAULT_RTT_THRESHOLDS: readonly number[] = [10, 50, 100];

/** A connection kind's compression settings (Go's CompressionOpts); thresholds in milliseconds. */
export interface CompressionOptions {
  mode: string;
  /** Only for s2_auto: RTT upper bounds of the uncompressed, fast, better and best levels (0 = level not used). */
  rttThresholds: readonly number[];
}

/** Whether a (normalised) mode makes this side negotiate compression: anything but off and not supported. */
export function needsCompression(mode: string): boolean {
  return mode !== "" && mode !== CompressionMode.Off && mode !== CompressionMode.NotSupported;
}

/**
 * The mode this side writes with, from its own mode `local` (one that needs compression) and
 * what the peer announced (Go's selectCompressionMode): nothing announced means an older
 * server; "off" wins; "accept" on one side takes the other's mode (s2_fast for an s2_auto peer,
 * since only the side configured with auto measures RTT); otherwise each side keeps its own.
 * Throws Go's error for a mode it does not know.
 */
export function selectCompressionMode(local: string, remote: string | undefined): string {
  if (remote === undefined || remote === "" || remote === CompressionMode.NotSupported) return CompressionMode.NotSupported;
  switch (remote) {
    case CompressionMode.Off:
      return CompressionMode.Off;
    case CompressionMode.Accept:
      return local === CompressionMode.Accept ? CompressionMode.Off : local;
    case CompressionMode.S2Auto:
    case CompressionMode.S2Uncompressed:
    case CompressionMode.S2Fast:
    case CompressionMode.S2Better:
    case CompressionMode.S2Best:
      if (local !== CompressionMode.Accept) return local;
      return remote === CompressionMode.S2Auto ? CompressionMode.S2Fast : remote;
    default:
      throw new Error(`unsupported route compression mode ${JSON.stringify(remote)}`);
  }
}

/**
 * The s2_auto level for a round-trip time (Go's selectS2AutoModeBasedOnRTT): the first
 * threshold the RTT does not exceed picks uncompressed, fast, better or best by its position;
 * above all of them, best when all levels are listed, else the last one listed.
 */
export function selectS2AutoMode(rttMs: number, thresholds: readonly number[]): string {
  let index = thresholds.findIndex((t) => rttMs <= t);
  if (index < 0) index = thresholds.length >= 3 ? 3 : thresholds.length - 1;
  return [CompressionMode.S2Uncompressed, CompressionMode.S2Fast, CompressionMode.S2Better][index] ?? CompressionMode.S2Best;
}

/**
 * Negotiates the mode this side writes with once the peer's INFO arrived: the selected mode,
 * with s2_auto resolved to a level by the RTT measured so far. Returns "not supported", "off"
 * or an s2 level; only an s2 level (see {@link needsCompression}) switches the connection to
 * compressed framing.
 *
 * @example
 * negotiateCompression({ mode: "s2_auto", rttThresholds: DEFAULT_RTT_THRESHOLDS }, info.compression, 2); // "s2_uncompressed"
 */
export function negotiateCompression(local: CompressionOptions, remote: string | undefined, rttMs: number): string {
  const mode = selectCompressionMode(local.mode, remote);
  return mode === CompressionMode.S2Auto ? selectS2AutoMode(rttMs, local.rttThresholds) : mode;
}

/** What this side announces in the INFO that confirms compression: "s2_auto" when configured so, else the negotiated level. */
export function compressionModeForInfo(local: CompressionOptions, negotiated: string): string {
  return local.mode === CompressionMode.S2Auto ? CompressionMode.S2Auto : negotiated;
}

/**
 * The s2_auto level after a new RTT measurement, or undefined when it does not change (Go's
 * updateS2AutoCompressionLevel, run on every PONG of a compressed connection).
 */
export function updatedAutoLevel(local: CompressionOptions, current: string, rttMs: number): string | undefined {
  if (local.mode !== CompressionMode.S2Auto || !needsCompression(current)) return undefined;
  const level = selectS2AutoMode(rttMs, local.rttThresholds);
  return level === current ? undefined : level;
}

/**
 * The stream writer for a negotiated level. nats-ts has one compressor: fast, better and best
 * all use it (the mode name is still reported as negotiated); s2_uncompressed writes the S2
 * framing and checksums without compressing, as Go does.
 */
export function writerForMode(mode: string): S2StreamWriter {
  return new S2StreamWriter({ uncompressed: mode === CompressionMode.S2Uncompressed });
}

/**
 * S2 compression of server-to-server connections (routes and leaf nodes), as Go 2.10+ does it.
 *
 * Wiring a connection kind (leaf nodes do this in src/leaf/service.ts and connection.ts):
 * - Options: `compressionOptionsFromConf(block, key, value, onMode, defaultMode)` gives
 *   `{ mode, rttThresholds }` (routes: onMode s2_fast, default "accept"; leaf nodes: s2_auto both).
 * - Announce `compression: options.mode` in the first INFO (not when the mode is "not supported").
 * - When the peer's first INFO arrives and `needsCompression(options.mode)`: the mode this side
 *   writes with is `negotiateCompression(options, info.compression, msSinceConnectionStart)`.
 *   "not supported"/"off": nothing changes. An s2 level: the soliciting side writes its INFO
 *   (with `compression: compressionModeForInfo(options, mode)`) in the clear and then switches;
 *   the accepting side switches first and sends that INFO compressed. Switching = wrapping the
 *   socket (after TLS) in `new S2CompressedStream(socket, writerForMode(mode), onCorrupt)` and
 *   reading and writing through it; bytes after the INFO in the same read go to `receive()`.
 * - s2_auto: on each PONG, `updatedAutoLevel(options, current, rtt)` gives a new level to
 *   install with `stream.writer = writerForMode(level)`.
 * - Monitoring shows the negotiated mode ("not supported", "off" or the s2 level).
 */
export { S2FormatError } from "./errors.js";
export { decodeS2Block, encodeBlock, S2_MAX_BLOCK_SIZE } from "./s2-block.js";
export { S2StreamReader, S2StreamWriter, S2_STREAM_IDENTIFIER, type S2WriterOptions } from "./s2-stream.js";
export { maskedCrc32c } from "./crc.js";
export {
  CompressionMode,
  DEFAULT_RTT_THRESHOLDS,
  compressionModeForInfo,
  needsCompression,
  negotiateCompression,
  selectCompressionMode,
  selectS2AutoMode,
  updatedAutoLevel,
  writerForMode,
  type CompressionOptions,
} from "./modes.js";
export { compressionOptionsFromConf, thresholdsProblem } from "./conf.js";
export { S2CompressedStream } from "./compressed-stream.js";

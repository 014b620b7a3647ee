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

/**
 * Bytes that are not a valid S2 (or Snappy) stream: a bad chunk, block or checksum. The message
 * says what was wrong; the stream it came from cannot be read any further.
 */
export class S2FormatError extends Error {
  override readonly name = "S2FormatError";
}

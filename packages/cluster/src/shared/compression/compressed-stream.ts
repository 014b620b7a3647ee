import { Duplex } from "node:stream";
import { S2FormatError } from "./errors.js";
import { S2StreamReader, type S2StreamWriter } from "./s2-stream.js";

/**
 * A connection's byte stream once compression is on: what is written is framed as S2 on the
 * way to `raw` (one S2 stream per batch of writes, so cork/uncork around an I/O turn gives one
 * frame per flush as in Go), and what `raw` receives comes out decoded. Connection code keeps
 * its plain-stream path untouched and just moves to this stream (as it does for TLS).
 *
 * Back-pressure is kept in uncompressed bytes: a batch is acknowledged only once `raw` took it,
 * so `writableLength` grows with what waits, as slow consumer checks expect.
 *
 * @example
 * const s = new S2CompressedStream(socket, writerForMode("s2_fast"));
 * s.on("data", (decoded) => parser.parse(decoded));
 * s.write("PING\r\n");
 */
export class S2CompressedStream extends Duplex {
  private readonly reader = new S2StreamReader();
  private readonly onRawData = (chunk: Buffer) => this.receive(chunk);
  private readonly onRawEnd = () => this.push(null);
  private readonly onRawError = (err: Error) => this.destroy(err);
  private readonly onRawClose = () => this.destroy();

  constructor(
    readonly raw: Duplex,
    /** Encodes outgoing batches; replaceable when an s2_auto connection changes level. */
    public writer: S2StreamWriter,
    /** Called with the error when the peer's bytes are not a valid S2 stream (then the stream is destroyed). */
    private readonly onCorrupt: (err: S2FormatError) => void = () => {},
  ) {
    super({ decodeStrings: true, allowHalfOpen: false });
    raw.on("data", this.onRawData);
    raw.on("end", this.onRawEnd);
    raw.on("error", this.onRawError);
    raw.on("close", this.onRawClose);
  }

  /**
   * Takes bytes received on `raw` (also the rest of a chunk that arrived in the same read as
   * the INFO that switched the connection to compression).
   */
  receive(chunk: Buffer): void {
    if (this.destroyed) return;
    let decoded: Buffer[];
    try {
      decoded = this.reader.push(chunk);
    } catch (e) {
      const err = e instanceof S2FormatError ? e : new S2FormatError(String(e));
      this.onCorrupt(err);
      this.destroy(err);
      return;
    }
    for (const data of decoded) this.push(data);
  }

  override _read(): void {
    // Input flows from `raw` as it arrives; the connection reading this never pauses.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.send(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  private send(parts: Buffer[], callback: (error?: Error | null) => void): void {
    const raw = this.raw;
    if (raw.destroyed) return callback();
    // One writev for the whole frame: uncompressed chunks go out without being copied.
    const frame = this.writer.framed(parts);
    raw.cork();
    let flowing = true;
    for (const buf of frame) flowing = raw.write(buf);
    raw.uncork();
    if (flowing) callback();
    else raw.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.raw.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const raw = this.raw;
    raw.off("data", this.onRawData);
    raw.off("end", this.onRawEnd);
    raw.off("error", this.onRawError);
    raw.off("close", this.onRawClose);
    // The raw stream may still emit an error after we stopped listening.
    raw.on("error", () => {});
    raw.destroy();
    callback(err);
  }
}

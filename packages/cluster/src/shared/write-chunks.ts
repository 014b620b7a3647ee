import type { Writable } from "node:stream";

/** Writes a connection's drained output queue: one write, or several corked into one syscall. */
export function writeChunks(stream: Writable, chunks: readonly Uint8Array[]): void {
  if (chunks.length === 1) {
    stream.write(chunks[0]);
    return;
  }
  stream.cork();
  for (const c of chunks) stream.write(c);
  stream.uncork();
}

// Drives one publisher connection at full speed into zero or more subscriber connections.
//
// The publisher writes large pre-built buffers of PUB frames. With subscribers, it stays at
// most WINDOW_BYTES of messages ahead of the slowest one, so neither server ever has to
// buffer more than that for a subscriber (which would measure slow-consumer handling, not
// throughput). The measured phase ends when the server has answered a PING sent after the
// last PUB and every subscriber has received every message.
import { performance } from "node:perf_hooks";
import { repeatFrame } from "./protocol.js";

const CHUNK_BYTES = 64 * 1024;
const WINDOW_BYTES = 4 * 1024 * 1024;
const STALL_TIMEOUT_MS = 30_000;

/**
 * @typedef {object} StreamResult
 * @property {number} published  messages published in the phase
 * @property {number} seconds    from the first write to the last message delivered
 */

/**
 * @example
 * const { published, seconds } = await runStream(pub, [sub], pubFrame("bench.a", 128), 3000);
 * @param {import("./protocol.js").RawConnection} publisher
 * @param {import("./protocol.js").RawConnection[]} subscribers  each subscribed to the frame's subject
 * @param {Buffer} frame  one PUB frame
 * @param {number} durationMs
 * @returns {Promise<StreamResult>}
 */
export function runStream(publisher, subscribers, frame, durationMs) {
  const { buffer, frames } = repeatFrame(frame, CHUNK_BYTES);
  const window = Math.max(2 * frames, Math.floor(WINDOW_BYTES / frame.length));
  const base = subscribers.map((s) => s.counter.msgs);
  const slowest = () => {
    let min = Infinity;
    for (let i = 0; i < subscribers.length; i++) min = Math.min(min, subscribers[i].counter.msgs - base[i]);
    return min;
  };

  return new Promise((resolve, reject) => {
    const start = performance.now();
    const stopAt = start + durationMs;
    let published = 0;
    let waitingForSubscribers = false;
    let finishing = false;
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`no progress: stalled for ${STALL_TIMEOUT_MS} ms`)), durationMs + STALL_TIMEOUT_MS);
    const connections = [publisher, ...subscribers];
    const onClose = () => fail(connections.find((c) => c.error)?.error ?? new Error("connection closed"));
    for (const c of connections) c.socket.once("close", onClose);
    const settle = () => {
      settled = true;
      clearTimeout(timer);
      for (const c of connections) c.socket.off("close", onClose);
      for (const s of subscribers) s.onMsgs = () => {};
    };

    const done = () => {
      if (settled || !finishing) return;
      if (subscribers.length > 0 && slowest() < published) return;
      settle();
      resolve({ published, seconds: (performance.now() - start) / 1000 });
    };
    const fail = (/** @type {Error} */ err) => {
      if (settled) return;
      settle();
      reject(err);
    };
    const finish = () => {
      finishing = true;
      publisher.flush().then(done, fail);
    };
    const pump = () => {
      waitingForSubscribers = false;
      for (;;) {
        if (settled) return;
        const err = publisher.error ?? subscribers.find((s) => s.error)?.error;
        if (err) return fail(err);
        if (performance.now() >= stopAt) return finish();
        if (subscribers.length > 0 && published - slowest() >= window) {
          waitingForSubscribers = true;
          return;
        }
        published += frames;
        if (!publisher.socket.write(buffer)) {
          publisher.socket.once("drain", pump);
          return;
        }
      }
    };
    for (const s of subscribers) {
      s.onMsgs = () => {
        if (s.error) return fail(s.error);
        if (finishing) done();
        else if (waitingForSubscribers && published - slowest() < window / 2) pump();
      };
    }
    pump();
  });
}

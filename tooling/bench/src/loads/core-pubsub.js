// Core NATS publish loads: pub-only, pub/sub 1:1 and fan-out 1:N over raw connections.
import { pubFrame, RawConnection } from "../protocol.js";
import { runStream } from "../stream.js";

/** @typedef {import("../load-types.js").Load} Load */

/**
 * A load where one publisher streams `size`-byte messages to `subscribers` subscribers.
 * msgs/s counts messages the server delivered (published ones when nobody subscribes),
 * MB/s their payload bytes.
 * @example
 * streamLoad({ name: "pub-sub", title: "pub/sub 1:1 128 B", size: 128, subscribers: 1 })
 * @param {{ name: string, title: string, size: number, subscribers: number }} spec
 * @returns {Load}
 */
export function streamLoad({ name, title, size, subscribers }) {
  return {
    name,
    title,
    async run(ctx) {
      const server = await ctx.startServer();
      const subject = `bench.${name}`;
      const at = { host: server.host, port: server.port };
      const subs = [];
      try {
        for (let i = 0; i < subscribers; i++) {
          const sub = await RawConnection.open({ ...at, name: `${name}-sub-${i}` });
          subs.push(sub);
          await sub.subscribe(subject, 1);
        }
        const pub = await RawConnection.open({ ...at, name: `${name}-pub` });
        subs.push(pub);
        const frame = pubFrame(subject, size);
        await runStream(pub, subs.slice(0, subscribers), frame, ctx.warmupMs);
        const cpuBefore = server.cpuSeconds();
        const { published, seconds } = await runStream(pub, subs.slice(0, subscribers), frame, ctx.durationMs);
        const cpu = server.cpuSeconds() - cpuBefore;
        return throughputMetrics(published * Math.max(1, subscribers), size, seconds, cpu);
      } finally {
        for (const c of subs) c.close();
      }
    },
  };
}

/**
 * The figures of a streaming load: messages and payload per second, messages per CPU second
 * of the server(s), and their CPU use over the phase.
 * @param {number} delivered  messages the server(s) delivered in the phase
 * @param {number} size  payload bytes per message
 * @param {number} seconds  length of the phase
 * @param {number} cpu  server CPU seconds used in the phase
 * @returns {import("../load-types.js").Metric[]}
 */
export function throughputMetrics(delivered, size, seconds, cpu) {
  const msgsPerSec = delivered / seconds;
  return [
    { name: "msgs/s", value: msgsPerSec, better: "higher" },
    { name: "MB/s", value: (msgsPerSec * size) / 1e6, better: "higher" },
    { name: "msgs/CPU-s", value: delivered / cpu, better: "higher" },
    { name: "server CPU %", value: (cpu / seconds) * 100, better: "lower" },
  ];
}

export const pubOnly = streamLoad({ name: "pub-only", title: "pub-only 16 B", size: 16, subscribers: 0 });
export const pubSub = streamLoad({ name: "pub-sub", title: "pub/sub 1:1 128 B", size: 128, subscribers: 1 });
export const fanOut = streamLoad({ name: "fan-out", title: "fan-out 1:4 128 B", size: 128, subscribers: 4 });

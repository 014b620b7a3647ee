// A minimal in-process NATS server for the bench's own tests: INFO, CONNECT, PING/PONG,
// SUB and PUB with fan-out to literal subjects, and, like a JetStream stream, a PubAck to the
// reply of a request nobody subscribed to. Enough protocol to drive the generator.
import { createServer } from "node:net";

const CRLF = Buffer.from("\r\n");
const PONG = Buffer.from("PONG\r\n");

/**
 * @typedef {object} FakeServer
 * @property {number} port
 * @property {() => void} dropClients  closes every client connection
 * @property {() => Promise<void>} close
 */

/** @returns {Promise<FakeServer>} */
export async function startFakeServer() {
  /** @type {Map<string, { socket: import("node:net").Socket, sid: string }[]>} */
  const subs = new Map();
  /** @type {Set<import("node:net").Socket>} */
  const sockets = new Set();
  let acked = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.write('INFO {"server_id":"fake","max_payload":1048576}\r\n');
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      // Output is gathered per receiving socket and written once per chunk read.
      /** @type {Map<import("node:net").Socket, Buffer[]>} */
      const out = new Map();
      const send = (/** @type {import("node:net").Socket} */ to, /** @type {Buffer} */ b) => {
        const list = out.get(to);
        if (list) list.push(b);
        else out.set(to, [b]);
      };
      for (;;) {
        const lf = buffered.indexOf(10);
        if (lf < 0) break;
        const [op, ...args] = buffered.subarray(0, lf - 1).toString().split(" ");
        if (op === "PUB") {
          const size = Number(args[args.length - 1]);
          if (buffered.length < lf + 1 + size + 2) break;
          const payload = buffered.subarray(lf + 1, lf + 1 + size);
          const reply = args.length === 3 ? ` ${args[1]}` : "";
          const targets = subs.get(args[0]) ?? [];
          for (const sub of targets) {
            send(sub.socket, Buffer.from(`MSG ${args[0]} ${sub.sid}${reply} ${size}\r\n`));
            send(sub.socket, payload);
            send(sub.socket, CRLF);
          }
          if (targets.length === 0 && reply !== "") {
            const ack = Buffer.from(JSON.stringify({ stream: "FAKE", seq: ++acked }));
            for (const sub of subs.get(args[1]) ?? []) {
              send(sub.socket, Buffer.from(`MSG ${args[1]} ${sub.sid} ${ack.length}\r\n`));
              send(sub.socket, ack);
              send(sub.socket, CRLF);
            }
          }
          buffered = buffered.subarray(lf + 1 + size + 2);
          continue;
        }
        buffered = buffered.subarray(lf + 1);
        if (op === "PING") send(socket, PONG);
        else if (op === "SUB") subs.set(args[0], [...(subs.get(args[0]) ?? []), { socket, sid: args[1] }]);
      }
      for (const [to, list] of out) to.write(Buffer.concat(list));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    dropClients: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

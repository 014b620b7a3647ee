// Parser throughput: how many frames per second the parsers get through when fed
// 64 KB socket-sized chunks (frames cut wherever the chunk boundary falls).
// Run: pnpm --filter @nats-ts/wire bench   (builds dist first)
import { ClientProtocolParser, ServerProtocolParser, encodeHeaders, MsgHeaders } from "../dist/index.js";

const CHUNK = 64 * 1024;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

function chunked(frame, totalBytes = 4 * 1024 * 1024) {
  const count = Math.ceil(totalBytes / frame.length);
  const stream = Buffer.concat(Array.from({ length: count }, () => frame));
  const chunks = [];
  for (let i = 0; i < stream.length; i += CHUNK) chunks.push(stream.subarray(i, i + CHUNK));
  return { chunks, frames: count, bytes: stream.length };
}

function run(name, makeParser, frame) {
  const { chunks, frames, bytes } = chunked(frame);
  let seen = 0;
  const parser = makeParser(() => seen++);
  const passOnce = () => {
    for (const c of chunks) parser.parse(c);
  };
  for (let i = 0; i < 3; i++) passOnce(); // warm up the JIT
  seen = 0;
  let passes = 0;
  // CPU time rather than wall time: the figure stays comparable on a busy machine.
  const cpuStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  const deadline = wallStart + BigInt(SECONDS * 1e9);
  while (process.hrtime.bigint() < deadline) {
    passOnce();
    passes++;
  }
  const cpu = process.cpuUsage(cpuStart);
  const secs = (cpu.user + cpu.system) / 1e6;
  if (seen !== frames * passes) throw new Error(`${name}: parsed ${seen} frames, expected ${frames * passes}`);
  const msgs = seen / secs;
  const mb = (bytes * passes) / secs / 1e6;
  console.log(`${name.padEnd(36)} ${(msgs / 1e6).toFixed(2).padStart(6)} M msgs/s  ${mb.toFixed(0).padStart(5)} MB/s  (per CPU second)`);
  return msgs;
}

function client(onMsg) {
  const nothing = () => {};
  return new ClientProtocolParser(
    {
      onConnect: nothing, onPub: onMsg, onHpub: onMsg, onSub: onMsg, onUnsub: nothing,
      onPing: onMsg, onPong: nothing,
      onProtocolError: (e) => { throw e; },
    },
    { maxPayload: -1 },
  );
}

function server(onMsg) {
  const nothing = () => {};
  return new ServerProtocolParser({
    onInfo: nothing, onMsg, onHmsg: onMsg, onPing: nothing, onPong: nothing, onOk: nothing, onErr: nothing,
    onProtocolError: (e) => { throw e; },
  });
}

const p128 = Buffer.alloc(128, "x");
const p16 = Buffer.alloc(16, "x");
const hdr = encodeHeaders(new MsgHeaders().append("Nats-Msg-Id", "abc123"));

console.log(`@nats-ts/wire parser, node ${process.version}, ${CHUNK / 1024} KB chunks, ${SECONDS}s per case`);
run("PUB 128B (client parser)", client, Buffer.concat([Buffer.from("PUB foo.bar 128\r\n"), p128, Buffer.from("\r\n")]));
run("PUB 16B (client parser)", client, Buffer.concat([Buffer.from("PUB foo.bar 16\r\n"), p16, Buffer.from("\r\n")]));
run("PUB 128B with reply (client parser)", client, Buffer.concat([Buffer.from("PUB foo.bar _INBOX.abcdefgh.1 128\r\n"), p128, Buffer.from("\r\n")]));
run("HPUB 128B (client parser)", client, Buffer.concat([Buffer.from(`HPUB foo.bar ${hdr.length} ${hdr.length + 128}\r\n`), hdr, p128, Buffer.from("\r\n")]));
run("SUB (client parser)", client, Buffer.from("SUB foo.bar.* workers 12345\r\n"));
run("PING (client parser)", client, Buffer.from("PING\r\n"));
run("MSG 128B (server parser)", server, Buffer.concat([Buffer.from("MSG foo.bar 1 128\r\n"), p128, Buffer.from("\r\n")]));

import { connect as netConnect, type Socket } from "node:net";

// Connection attempts of routes, leaf remotes and gateways: dialling with a deadline, the delay
// between attempts, and which failures are worth an error line.

/** Go reports a failing first connect on the first attempt and then once an hour of attempts. */
const CONNECT_ERROR_REPORTS = 3600;

/**
 * Go's shouldReportConnectErr: every failure of a reconnect (the peer was up before), but only
 * the first and every 3600th failure while the first connect is still being tried.
 */
export function shouldReportConnectError(firstConnect: boolean, attempts: number): boolean {
  return !firstConnect || attempts === 1 || attempts % CONNECT_ERROR_REPORTS === 0;
}

/**
 * The delay before attempt `attempt` + 1 (0-based count of failures so far): `base` doubled on
 * each failure, capped; `jitter` adds up to that fraction at random so that many servers do not
 * retry in lock step.
 *
 * @example
 * backoffDelay(1000, 3, 30_000); // 8000
 */
export function backoffDelay(base: number, attempt: number, cap: number, jitter = 0): number {
  const delay = Math.min(cap, base * 2 ** Math.min(attempt, 20));
  return jitter === 0 ? delay : Math.round(delay + Math.random() * delay * jitter);
}

/**
 * A TCP connect that gives up after `timeout` ms ("i/o timeout"), so an address that swallows
 * SYNs does not stall a peer for the OS connect timeout. `done` runs once; the socket is
 * returned so that a shutdown can destroy it while it is still connecting.
 */
export function dialTcp(host: string, port: number, timeout: number, done: (err: Error | undefined, socket: Socket) => void): Socket {
  const socket = netConnect({ host, port, noDelay: true });
  let finished = false;
  const fail = (err: Error) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.destroy();
    done(err, socket);
  };
  const timer = setTimeout(() => fail(new Error("i/o timeout")), timeout);
  socket.once("error", fail);
  socket.once("connect", () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off("error", fail);
    done(undefined, socket);
  });
  return socket;
}

/**
 * A failed dial in Go's words (`dial tcp 127.0.0.1:7222: connect: connection refused`), for the
 * "Error connecting to ..." log lines.
 *
 * @example
 * goDialError("127.0.0.1:7222", err).message; // "dial tcp 127.0.0.1:7222: i/o timeout"
 */
export function goDialError(hostPort: string, err: Error): Error {
  const why = (err as NodeJS.ErrnoException).code === "ECONNREFUSED" ? "connect: connection refused" : err.message;
  return new Error(`dial tcp ${hostPort}: ${why}`);
}

/** A copy in random order (Fisher-Yates), as Go tries a peer's URLs unless told not to randomize. */
export function shuffled<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

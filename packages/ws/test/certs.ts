import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCerts {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  clientCert: string;
  clientKey: string;
  ca: string;
  cleanup(): void;
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with openssl. */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "nats-ts-ws-certs-"));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=nats-ts test CA");
  writeFileSync(f("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  for (const [name, cn, ext] of [
    ["server", "localhost", ["-extfile", "server.ext"]],
    ["client", "websocket client", []],
  ] as const) {
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    ssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", ...ext);
  }
  return {
    dir,
    caFile: f("ca.pem"),
    certFile: f("server.pem"),
    keyFile: f("server-key.pem"),
    clientCert: f("client.pem"),
    clientKey: f("client-key.pem"),
    ca: readFileSync(f("ca.pem"), "utf8"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

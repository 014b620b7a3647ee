import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCerts {
  caFile: string;
  certFile: string;
  keyFile: string;
  clientCert: string;
  clientKey: string;
  cleanup(): void;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl for the test run. */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "nats-ts-mqtt-certs-"));
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=mqtt test CA");
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  for (const [name, ext] of [
    ["server", ["-extfile", "san.ext"]],
    ["client", []],
  ] as const) {
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", `/CN=mqtt ${name}`);
    ssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", ...ext);
  }
  const f = (n: string) => join(dir, n);
  return {
    caFile: f("ca.pem"),
    certFile: f("server.pem"),
    keyFile: f("server-key.pem"),
    clientCert: f("client.pem"),
    clientKey: f("client-key.pem"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

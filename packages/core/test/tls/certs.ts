import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ThrowawayPki {
  dir: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  /** A second server certificate (CN=rotated) from the same CA, for reload tests. */
  rotatedCert: string;
  rotatedKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a CA the server does not trust. */
  strangerCert: string;
  strangerKey: string;
  read(file: string): string;
  cleanup(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

function issue(dir: string, name: string, subject: string, ca: string, ext: string): void {
  openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", subject);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, "x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}-key.pem`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
}

/** A throwaway CA with server and client certificates, made with the openssl CLI at test time. */
export function makePki(): ThrowawayPki {
  const dir = mkdtempSync(join(tmpdir(), "nats-ts-tls-"));
  for (const ca of ["ca", "other-ca"]) {
    openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${ca}-key.pem`, "-out", `${ca}.pem`, "-days", "2", "-subj", `/CN=${ca}`);
  }
  issue(dir, "server", "/CN=localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  issue(dir, "rotated", "/CN=rotated", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  issue(dir, "client", "/O=Synadia/OU=NATS/CN=alice", "ca", "subjectAltName=email:alice@example.com\nextendedKeyUsage=clientAuth\n");
  issue(dir, "stranger", "/CN=alice", "other-ca", "extendedKeyUsage=clientAuth\n");
  const f = (n: string) => join(dir, n);
  return {
    dir,
    caFile: f("ca.pem"),
    serverCert: f("server.pem"),
    serverKey: f("server-key.pem"),
    rotatedCert: f("rotated.pem"),
    rotatedKey: f("rotated-key.pem"),
    clientCert: f("client.pem"),
    clientKey: f("client-key.pem"),
    strangerCert: f("stranger.pem"),
    strangerKey: f("stranger-key.pem"),
    read: (file) => readFileSync(file, "utf8"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

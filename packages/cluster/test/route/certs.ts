import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

/** A throwaway CA and one certificate for every route (server and client use, 127.0.0.1), made with openssl. */
export function makeRoutePki(): { dir: string; ca: string; cert: string; key: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "nats-ts-route-tls-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(dir, "req", "-x509", ...ec, "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=route-ca");
  openssl(dir, "req", ...ec, "-keyout", "route-key.pem", "-out", "route.csr", "-subj", "/CN=localhost");
  writeFileSync(join(dir, "route.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
  openssl(dir, "x509", "-req", "-in", "route.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", "route.pem", "-days", "2", "-extfile", "route.ext");
  return {
    dir,
    ca: join(dir, "ca.pem"),
    cert: join(dir, "route.pem"),
    key: join(dir, "route-key.pem"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

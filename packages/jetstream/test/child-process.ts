import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The part of esbuild's API used here. */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/** esbuild, found through vitest -> vite (no extra dependency for one test fixture). */
async function loadEsbuild(): Promise<Esbuild> {
  const fromVitest = createRequire(createRequire(import.meta.url).resolve("vitest/package.json"));
  const fromVite = createRequire(fromVitest.resolve("vite/package.json"));
  return (await import(fromVite.resolve("esbuild"))) as Esbuild;
}

let bundled: string | undefined;
let bundleRoot: string | undefined;

/** Removes the bundled child script (call once the tests that spawn it are done). */
export function removeChildBundle(): void {
  if (bundleRoot !== undefined) rmSync(bundleRoot, { recursive: true, force: true });
  bundleRoot = undefined;
  bundled = undefined;
}

/** Bundles the child server (TypeScript sources of the workspace) into one runnable .mjs. */
async function bundleChild(): Promise<string> {
  if (bundled !== undefined) return bundled;
  const esbuild = await loadEsbuild();
  const root = mkdtempSync(join(tmpdir(), "nats-ts-child-"));
  bundleRoot = root;
  // core reads its version from "../package.json" next to its module: give the bundle one.
  copyFileSync(fileURLToPath(new URL("../../core/package.json", import.meta.url)), join(root, "package.json"));
  mkdirSync(join(root, "bin"));
  const out = join(root, "bin", "child.mjs");
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL("./fixtures/js-server-child.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: out,
    conditions: ["@nats-ts/source"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "silent",
  });
  bundled = out;
  return out;
}

/** Starts a JetStream server in a child process; resolves with its client port. */
export async function spawnJsServer(storeDir: string, sync = "always"): Promise<{ child: ChildProcess; port: number }> {
  const script = await bundleChild();
  const child = spawn(process.execPath, [script, storeDir, sync], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve((JSON.parse(buf.slice(0, nl)) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`child exited with ${code}`)));
  });
  return { child, port };
}

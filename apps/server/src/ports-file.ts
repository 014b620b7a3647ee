import { renameSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

/**
 * The ports file Go writes to `ports_file_dir`: `<executable name as invoked>_<pid>.ports`, a JSON
 * object listing every listener's URLs. Tools that launch nats-server read it to find random ports.
 */
export function portsFilePath(dir: string, argv1 = process.argv[1] ?? "nats-ts-server", pid = process.pid): string {
  return join(dir, `${basename(argv1)}_${pid}.ports`);
}

export function writePortsFile(path: string, listeners: Record<string, string[]>): void {
  const ports: Record<string, string[]> = {};
  for (const [kind, urls] of Object.entries(listeners)) if (urls.length > 0) ports[kind] = urls;
  // Written aside and renamed, so a launcher polling for the file never reads it half written.
  const partial = `${path}.tmp`;
  writeFileSync(partial, JSON.stringify(ports), { mode: 0o666 });
  renameSync(partial, path);
}

export function removeFileQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to clean up.
  }
}

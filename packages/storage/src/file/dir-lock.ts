import { openSync, readFileSync, realpathSync, rmSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../errors.js";

// One FileStore per directory: two writers appending to the same blocks would interleave
// records. A LOCK file holds the owner's pid; a lock left by a process that no longer exists
// (killed, crashed) is taken over.
const LOCK_FILE = "LOCK";
const heldInProcess = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the directory's lock or throws BadConfig naming the holder. Returns the release function. */
export function lockDirectory(dir: string): () => void {
  const key = realpathSync(dir);
  if (heldInProcess.has(key)) throw new StoreError("BadConfig", `store directory ${dir} is already open in this process`);
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldInProcess.add(key);
      return () => {
        heldInProcess.delete(key);
        rmSync(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number.parseInt(readFileSync(path, "utf8"), 10);
      if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
        throw new StoreError("BadConfig", `store directory ${dir} is in use by process ${holder} (remove ${path} if that is wrong)`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new StoreError("BadConfig", `could not lock store directory ${dir}`);
}

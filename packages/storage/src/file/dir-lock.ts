import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../errors.js";

// One process per store directory: two writers appending to the same blocks would interleave
// records. A LOCK file holds the owner's pid; a lock left by a process that no longer exists
// (killed, crashed) is taken over. Within one process the embedding code owns the lifecycle,
// so a re-open by the same pid takes the lock over too.
const LOCK_FILE = "LOCK";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the directory's lock or throws BadConfig naming the live holder. Returns the release function. */
export function lockDirectory(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        // Only remove the lock if it is still ours.
        try {
          if (readFileSync(path, "utf8") === String(process.pid)) rmSync(path, { force: true });
        } catch {
          // Already gone.
        }
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

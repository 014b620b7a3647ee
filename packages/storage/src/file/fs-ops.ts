import * as nodeFs from "node:fs";

/**
 * The file operations FileStore uses. Tests substitute failing versions (disk full, I/O
 * errors) through FileStoreOptions.fs; production uses node:fs.
 */
export interface FsOps {
  openSync(path: string, flags: string): number;
  closeSync(fd: number): void;
  writeSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  write(fd: number, buf: Uint8Array, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, written: number) => void): void;
  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  ftruncateSync(fd: number, len: number): void;
  fsyncSync(fd: number): void;
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
  fstatSync(fd: number): { size: number };
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

export const defaultFsOps: FsOps = {
  openSync: (p, f) => nodeFs.openSync(p, f),
  closeSync: (fd) => nodeFs.closeSync(fd),
  writeSync: (fd, b, o, l, p) => nodeFs.writeSync(fd, b, o, l, p),
  write: (fd, b, o, l, p, cb) => nodeFs.write(fd, b, o, l, p, cb),
  readSync: (fd, b, o, l, p) => nodeFs.readSync(fd, b, o, l, p),
  ftruncateSync: (fd, l) => nodeFs.ftruncateSync(fd, l),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  fdatasync: (fd, cb) => nodeFs.fdatasync(fd, cb),
  fstatSync: (fd) => nodeFs.fstatSync(fd),
  renameSync: (a, b) => nodeFs.renameSync(a, b),
  unlinkSync: (p) => nodeFs.unlinkSync(p),
};

/** fsync a directory so that renames and unlinks in it survive power loss. */
export function syncDir(dir: string): void {
  try {
    const fd = nodeFs.openSync(dir, "r");
    try {
      nodeFs.fsyncSync(fd);
    } finally {
      nodeFs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse directory fsync; the rename itself is still atomic.
  }
}

import { FileStore, fileStoreMsgSize } from "../src/index.js";
import { storeConformance } from "./conformance.js";
import { tempDir } from "./helpers.js";

// The shared suite on FileStore with small blocks so that block rotation, cross-block
// removal and compaction are exercised. "interval" keeps thousands of sequential awaits fast;
// sync "always" has its own tests.
storeConformance({
  kind: "FileStore",
  open: (cfg, opts) => FileStore.open({ ...cfg, dir: tempDir(), block_size: 16384, sync: "interval" }, opts),
  msgSize: (subj, hdr, msg) => fileStoreMsgSize(Buffer.byteLength(subj), hdr?.length ?? 0, msg?.length ?? 0),
});

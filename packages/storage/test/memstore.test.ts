import { MemStore } from "../src/index.js";
import { storeConformance } from "./conformance.js";

storeConformance({
  kind: "MemStore",
  open: async (cfg, opts) => new MemStore(cfg, opts),
  msgSize: (subj, hdr, msg) => Buffer.byteLength(subj) + (hdr?.length ?? 0) + (msg?.length ?? 0) + 16,
});

/**
 * Go serves its runtime variables at /debug/vars (expvar: cmdline and memstats). We answer with
 * the same two keys, filled from Node's process: memstats keeps Go's names where a Node figure
 * means the same thing, and adds Node's own.
 */
export function expvarz(): { cmdline: string[]; memstats: Record<string, number> } {
  const mem = process.memoryUsage();
  const res = process.resourceUsage();
  return {
    cmdline: [...process.argv],
    memstats: {
      Alloc: mem.heapUsed,
      Sys: mem.rss,
      HeapAlloc: mem.heapUsed,
      HeapSys: mem.heapTotal,
      HeapInuse: mem.heapUsed,
      External: mem.external,
      ArrayBuffers: mem.arrayBuffers,
      MaxRSS: res.maxRSS * 1024,
      UserCPUMicros: res.userCPUTime,
      SystemCPUMicros: res.systemCPUTime,
    },
  };
}

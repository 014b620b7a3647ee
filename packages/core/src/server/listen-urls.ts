import { networkInterfaces } from "node:os";

/**
 * The URLs a listener bound to `host:port` can be reached on, as Go writes them in the ports
 * file: a wildcard host expands to every interface address, IPv4 first, loopback first.
 */
export function listenerUrls(scheme: string, host: string, port: number): string[] {
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  if (!wildcard) return [formatUrl(scheme, host, port)];
  const addrs: { address: string; v4: boolean; internal: boolean }[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const v4 = a.family === "IPv4";
      if (host === "0.0.0.0" && !v4) continue;
      if (!v4 && a.address.startsWith("fe80")) continue;
      addrs.push({ address: a.address, v4, internal: a.internal });
    }
  }
  addrs.sort((a, b) => Number(b.v4) - Number(a.v4) || Number(b.internal) - Number(a.internal));
  const urls = addrs.map((a) => formatUrl(scheme, a.address, port));
  return urls.length > 0 ? urls : [formatUrl(scheme, "127.0.0.1", port)];
}

export function formatUrl(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

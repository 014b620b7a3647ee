import { GO_COMPAT_VERSION, NATS_TS_VERSION } from "@nats-ts/core";

/** The links of the index page, in Go's order, plus ours. */
const LINKS: [label: string, path: string][] = [
  ["General", "/varz"],
  ["JetStream", "/jsz"],
  ["Connections", "/connz"],
  ["Accounts", "/accountz"],
  ["Account Stats", "/accstatz"],
  ["Subscriptions", "/subsz"],
  ["Routes", "/routez"],
  ["LeafNodes", "/leafz"],
  ["Gateways", "/gatewayz"],
  ["Health Probe", "/healthz"],
  ["Expvar", "/debug/vars"],
];

/** The HTML index page at the base path (Go's HandleRoot); links are relative so any base path works. */
export function rootPage(extras: { dashboard: boolean; prometheus: boolean }): string {
  const links: [string, string][] = [...LINKS];
  if (extras.dashboard) links.push(["Dashboard", "/dashboard"]);
  if (extras.prometheus) links.push(["Prometheus Metrics", "/metrics"]);
  const items = links
    .map(([label, path], i) => `  <a href=".${path}"${i === links.length - 1 ? ' class="last"' : ""}>${label}<span class="endpoint"> ${path}</span></a>`)
    .join("\n");
  return `<html lang="en">
<head>
<title>nats-ts monitoring</title>
<style type="text/css">
  body { font-family: ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif; font-size: 18px; margin-left: 32px }
  a { display: block; margin-left: 7px; padding-bottom: 6px; color: rgb(72 72 92); text-decoration: none }
  a:hover { font-weight: 600; color: rgb(59 50 202) }
  a.last { padding-bottom: 16px }
  .version { font-size: 14px; color: #666 }
  .endpoint { font-size: 12px; color: #999; font-family: monospace; display: none }
  a:hover .endpoint { display: inline }
</style>
</head>
<body>
  <h1>nats-ts</h1>
  <p class="version">v${GO_COMPAT_VERSION} (nats-ts ${NATS_TS_VERSION})</p>
${items}
  <a href="https://docs.nats.io/running-a-nats-service/nats_admin/monitoring">Help</a>
</body>
</html>
`;
}

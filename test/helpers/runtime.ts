/** The Node version a running service reports: `nodejs_version_info{version="v24.21.0",...}` in its /metrics. */
export async function nodeVersionOf(url: string): Promise<string> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const match = /^nodejs_version_info\{version="(v[\d.]+)"/m.exec(metrics);
  if (!match) throw new Error(`no nodejs_version_info in /metrics:\n${metrics.slice(0, 500)}`);
  return match[1]!;
}

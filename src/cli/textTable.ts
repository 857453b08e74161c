/** A table as the CLI prints one (`runs`, `artifacts`, `schedules`, `variables`…): columns padded to their widest cell, the last left as it is. */
export function textTableLines(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

/** A table as the CLI prints one (`runs`, `artifacts`, `schedules`, `variables`…): columns padded to their widest cell, the last left as it is. */
export function textTableLines(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = columnWidths(header, rows);
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

/**
 * Each column's widest cell, header included. Measured in a loop: `Math.max(...cells)` passes every cell as
 * an argument, past ~125,000 of them a RangeError (`Maximum call stack size exceeded`) — `runs --limit
 * 200000` and `prune --dry-run` of a long history failed so.
 */
export function columnWidths(header: readonly string[], rows: readonly (readonly string[])[]): number[] {
  const widths = header.map((h) => h.length);
  for (const row of rows) {
    for (let i = 0; i < widths.length; i++) {
      const length = row[i]?.length ?? 0;
      if (length > widths[i]!) widths[i] = length;
    }
  }
  return widths;
}

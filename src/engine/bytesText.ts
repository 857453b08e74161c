/** A size as people read it: `512 bytes`, `3.4 KB`, `12.0 MB` (the CLI's tables, the run details panel). */
export function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

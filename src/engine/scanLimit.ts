/** How large a flow file discovery reads; kept apart from the parser so the extension host can check it. */
import type { FileFlows } from './flowDiscovery';

/** Flow files larger than this are listed as too large, not parsed: scanning must stay quick. */
export const MAX_SCAN_BYTES = 1024 * 1024;

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** `2.0 MiB, over the 1.0 MiB limit`: how far a file of `bytes` is over the limit, as each refusal says it. */
export function overScanLimit(bytes: number): string {
  return `${mebibytes(bytes)}, over the ${mebibytes(MAX_SCAN_BYTES)} limit`;
}

/** The listing of a file that is not scanned because of its size. */
export function tooLargeToScan(file: string, bytes: number): FileFlows {
  const message = `too large to scan for flows: ${overScanLimit(bytes)}`;
  return { file, flows: [], problems: [], error: { kind: 'too-large', message } };
}

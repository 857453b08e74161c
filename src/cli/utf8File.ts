/**
 * A JSON file's bytes as text. JSON is UTF-8 (RFC 8259), and Buffer's own decoding puts U+FFFD in place of
 * what is not: a file saved as Latin-1 (`{"city":"Zürich"}`) ran with `"Z�rich"`, the user's data changed
 * without a word, and a UTF-16 one (Notepad's "Unicode") was refused as JSON, quoting garbage. Such a file
 * is refused instead, saying where its first byte that is not UTF-8 sits.
 */
import { isUtf8 } from 'node:buffer';

/** How many bytes a UTF-8 sequence led by `lead` holds, or 0 when `lead` cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** The offset of the first byte of `bytes` that does not belong to well-formed UTF-8 (only called when there is one). */
function firstBadOffset(bytes: Buffer): number {
  let at = 0;
  while (at < bytes.length) {
    const length = sequenceLength(bytes[at]!);
    // A sequence is good when its whole self is (overlong forms and surrogates are not): isUtf8 says so.
    if (length === 0 || at + length > bytes.length || !isUtf8(bytes.subarray(at, at + length))) return at;
    at += length;
  }
  return at;
}

/** `bytes` as UTF-8 text, its leading byte order mark dropped; or, when they are not UTF-8, what to say about it. */
export function utf8FileText(bytes: Buffer): { text: string } | { problem: string } {
  if (isUtf8(bytes)) return { text: bytes.toString('utf8').replace(/^\uFEFF/, '') };
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return { problem: 'the file is UTF-16 text, and JSON is read as UTF-8: save it as UTF-8' };
  }
  const at = firstBadOffset(bytes);
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const column = bytes.subarray(lineStart, at).toString('utf8').length + 1;
  const hex = bytes[at]!.toString(16).padStart(2, '0');
  return { problem: `the file is not UTF-8 text: byte 0x${hex} at line ${line}, column ${column} (byte offset ${at}) is not UTF-8 (saved as Latin-1 or another encoding?); save it as UTF-8` };
}

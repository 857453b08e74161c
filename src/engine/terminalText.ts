/**
 * Text a flow controls (log messages, run, task and flow names) on its way to a terminal. A terminal obeys
 * control characters in what it prints: ESC sequences move the cursor, clear the screen, retitle the
 * window or hide text, `\r` and backspace overwrite what was printed, BEL rings. A bidirectional control
 * (U+202E RIGHT-TO-LEFT OVERRIDE and its kin) makes the rest of the line read in another order than it was
 * printed, and U+2028/U+2029 break a line where a terminal or an editor pastes it. Each of them but tab and
 * newline is shown instead as the escape a JavaScript string would use (`\x1b`, `\u202e`), which is plain
 * ASCII, readable, and still says what the flow printed. A Windows line ending (`\r\n`) is just a newline.
 */

import { stripVTControlCharacters } from 'node:util';

/**
 * C0 controls but tab and newline, DEL, the C1 controls some terminals also obey (U+009B is CSI), the
 * bidirectional controls (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069) and the line and paragraph
 * separators (U+2028-U+2029).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

function escaped(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export function neutraliseTerminal(text: string): string {
  return text.replace(CONTROL, (c) => (c === '\r\n' ? '\n' : escaped(c)));
}

/**
 * JSON text (JSON.stringify's) on its way to a terminal: the same characters, escaped as JSON's `\uHHHH`
 * (JSON.stringify leaves DEL, the C1 and bidirectional controls and U+2028/U+2029 as they are), so it
 * still parses to the same value.
 */
export function neutraliseTerminalJson(json: string): string {
  return json.replace(CONTROL, (c) => (c === '\r\n' ? '\\r\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/**
 * Text a flow controls, shown where no terminal reads it (the editor's failure card, notifications,
 * tooltips): its escape sequences (colours, cursor moves: `\x1b[31m`) removed, with Node's own
 * stripVTControlCharacters, as they mean nothing there and an ESC shows as a box; any other control but tab
 * and newline escaped as neutraliseTerminal escapes it.
 */
export function withoutTerminalEscapes(text: string): string {
  return neutraliseTerminal(stripVTControlCharacters(text));
}

/**
 * Text a flow controls (log messages, run, task and flow names) on its way to a terminal. A terminal obeys
 * control characters in what it prints: ESC sequences move the cursor, clear the screen, retitle the
 * window or hide text, `\r` and backspace overwrite what was printed, BEL rings. Each control character but
 * tab and newline is shown instead as the escape a JavaScript string would use (`\x1b`), which is plain
 * ASCII, readable, and still says what the flow printed. A Windows line ending (`\r\n`) is just a newline.
 */

/** C0 controls but tab and newline, DEL, and the C1 controls some terminals also obey (U+009B is CSI). */
const CONTROL = /\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function neutraliseTerminal(text: string): string {
  return text.replace(CONTROL, (c) => (c === '\r\n' ? '\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

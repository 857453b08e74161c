/** On a terminal a run's progress keeps to the last line, below its log lines; anywhere else nothing is added. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import stringWidth from 'string-width';
import { LogLineWriter } from '../../src/cli/logLineWriter';
import { ProgressFooter } from '../../src/cli/progressFooter';
import type { ArtifactRecord } from '../../src/engine/records';

const ERASE = '\r\x1b[2K';
/** A stream as a terminal is to Node: a TTY, `hasColors()`, and its width. */
function terminal(tty: boolean, colors: boolean, columns?: number): PassThrough & { written: string[] } {
  const written: string[] = [];
  const stream = Object.assign(new PassThrough(), { isTTY: tty, hasColors: () => colors, written, ...(columns !== undefined ? { columns } : {}) });
  stream.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof stream.write;
  return stream;
}
const progress = (p: number, description?: string, key = 'import'): ArtifactRecord => ({ k: 'artifact', runId: 'r', key, ts: 1, data: { kind: 'progress', progress: p, ...(description !== undefined ? { description } : {}) } });

test('on a terminal: progress drawn on the last line, erased and drawn again around log lines, taken away at the end', { timeout: 10_000 }, () => {
  const tty = terminal(true, true, 60);
  const footer = ProgressFooter.for(tty)!;
  const lines = new LogLineWriter(tty, (text) => footer.around(text));
  lines.line('first line');
  lines.flush();
  footer.progress(progress(45, 'Imported 450 of 1,000 files'));
  footer.progress(progress(45, 'Imported 450 of 1,000 files'));
  lines.line('second line');
  lines.line('third line');
  lines.flush();
  footer.clear();
  const bar = '\x1b[2m⏵ import 45%: Imported 450 of 1,000 files\x1b[0m';
  assert.deepEqual(tty.written, ['first line\n', `${ERASE}${bar}`, `${ERASE}second line\nthird line\n${bar}`, ERASE]);
});

test("on a terminal: the progress line is cut to the terminal's width and what the flow wrote is made harmless", { timeout: 10_000 }, () => {
  const tty = terminal(true, true, 30);
  ProgressFooter.for(tty)!.progress(progress(3, 'a very long description \x1b[2J with\nline breaks'));
  const drawn = tty.written[0]!.slice(ERASE.length);
  const visible = drawn.replace(/\x1b\[[0-9;]*m/g, '');
  assert.equal(visible, '⏵ import 3%: a very long des…');
  assert.ok(visible.length <= 29);
  assert.ok(!drawn.includes('\x1b[2J') && !drawn.includes('\n'));
});

test("on a terminal: wide characters (CJK, emoji) count as the columns they take, so the line never wraps", { timeout: 10_000 }, () => {
  const columnsOf = (drawn: string): number => stringWidth(drawn.slice(ERASE.length));
  // 14 CJK characters: 27 characters with the rest, but 41 columns.
  const cjk = terminal(true, true, 30);
  ProgressFooter.for(cjk)!.progress(progress(3, '東京の倉庫から商品を読み込んでいます'));
  assert.equal(cjk.written[0]!.slice(ERASE.length), '\x1b[2m⏵ import 3%: 東京の倉庫から…\x1b[0m');
  assert.ok(columnsOf(cjk.written[0]!) <= 29);
  // Emoji, one of them a family of several code points: never cut inside one (no half surrogate, no lone joiner).
  const emoji = terminal(true, true, 30);
  ProgressFooter.for(emoji)!.progress(progress(50, '📦📦📦 👨‍👩‍👧 👨‍👩‍👧 🚚🚚🚚🚚'));
  const drawn = emoji.written[0]!.slice(ERASE.length);
  assert.equal(drawn, '\x1b[2m⏵ import 50%: 📦📦📦 👨‍👩‍👧 👨‍👩‍👧 …\x1b[0m');
  assert.ok(columnsOf(emoji.written[0]!) <= 29);
  // What fits by its columns is drawn whole.
  const fits = terminal(true, true, 30);
  ProgressFooter.for(fits)!.progress(progress(3, '東京の倉庫'));
  assert.equal(fits.written[0]!.slice(ERASE.length), '\x1b[2m⏵ import 3%: 東京の倉庫\x1b[0m');
});

test('a pipe, a file, or a terminal without colours gets no progress line', { timeout: 10_000 }, () => {
  for (const stream of [new PassThrough(), terminal(false, true), terminal(true, false)]) assert.equal(ProgressFooter.for(stream), undefined);
});

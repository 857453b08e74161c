import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { neutraliseTerminal, withoutTerminalEscapes } from '../../src/engine/terminalText';

describe('neutraliseTerminal', { timeout: 30_000 }, () => {
  it('shows escape sequences, BEL, carriage returns and C1 controls as \\xHH instead of obeying them', () => {
    assert.equal(neutraliseTerminal('\x1b]0;pwned\x07'), '\\x1b]0;pwned\\x07');
    assert.equal(neutraliseTerminal('\x1b[2J\x1b[Hclean'), '\\x1b[2J\\x1b[Hclean');
    assert.equal(neutraliseTerminal('secret\rshown'), 'secret\\x0dshown');
    assert.equal(neutraliseTerminal('abc\b\b\bxyz'), 'abc\\x08\\x08\\x08xyz');
    assert.equal(neutraliseTerminal('\u009b2J \x00 \x7f'), '\\x9b2J \\x00 \\x7f');
    for (let code = 0; code < 0xa0; code++) {
      const out = neutraliseTerminal(`a${String.fromCharCode(code)}b`);
      const printable = code === 0x09 || code === 0x0a || (code >= 0x20 && code < 0x7f);
      assert.equal(out.length, printable ? 3 : 6, `U+${code.toString(16)}`);
      assert.ok(!/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(out), `U+${code.toString(16)}`);
    }
  });

  it('shows bidirectional controls and line and paragraph separators as \\uHHHH, so a line reads as it was printed', () => {
    assert.equal(neutraliseTerminal('log\u202eOVR'), 'log\\u202eOVR');
    assert.equal(neutraliseTerminal('a\u2028b\u2029c'), 'a\\u2028b\\u2029c');
    for (const code of [0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
      assert.equal(neutraliseTerminal(`a${String.fromCharCode(code)}b`), `a\\u${code.toString(16).padStart(4, '0')}b`, `U+${code.toString(16)}`);
    }
    for (const kept of ['\u200d', '\u05d0\u05d1', '\u0627\u0644', '\u2027', '\u202f', '\u2065', '\u206a']) assert.equal(neutraliseTerminal(kept), kept);
  });

  it('keeps tabs, newlines, Windows line endings as newlines, and all other text as it is', () => {
    assert.equal(neutraliseTerminal('a\tb\nc\r\nd'), 'a\tb\nc\nd');
    const text = "12:00:00.000 | INFO    | Task run 'fetch-0' - Stars 🌟 : 250, ünïcödé, C:\\Users\\x";
    assert.equal(neutraliseTerminal(text), text);
  });
});

describe('withoutTerminalEscapes', { timeout: 30_000 }, () => {
  it('removes colours, cursor moves and window titles (they mean nothing outside a terminal) and escapes the other controls', () => {
    assert.equal(withoutTerminalEscapes('\x1b[31mRED\x1b[0m line'), 'RED line');
    assert.equal(withoutTerminalEscapes('\x1b[2J\x1b[Hclean \x1b]0;title\x07x'), 'clean x');
    assert.equal(withoutTerminalEscapes('a\x07b\r\nc\u202ed\te'), 'a\\x07b\nc\\u202ed\te');
    assert.equal(withoutTerminalEscapes('plain, ünïcödé'), 'plain, ünïcödé');
  });
});

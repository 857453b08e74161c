import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { neutraliseTerminal } from '../../src/engine/terminalText';

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

  it('keeps tabs, newlines, Windows line endings as newlines, and all other text as it is', () => {
    assert.equal(neutraliseTerminal('a\tb\nc\r\nd'), 'a\tb\nc\nd');
    const text = "12:00:00.000 | INFO    | Task run 'fetch-0' - Stars 🌟 : 250, ünïcödé, C:\\Users\\x";
    assert.equal(neutraliseTerminal(text), text);
  });
});

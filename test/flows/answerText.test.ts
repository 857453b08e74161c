import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeAnswerValue } from '../../src/flows/answerText';
import { SecretMasker } from '../../src/engine/secrets';

describe('describeAnswerValue', { timeout: 30_000 }, () => {
  it('quotes a page briefly on one line, never ending in part of a word: a token the page echoes is shown whole (to be masked) or not at all', () => {
    const token = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';
    const refresh = '1//0gRefReshT0ken-ABC_def+/=';
    const masker = new SecretMasker([token, refresh]);
    const pages = [
      (pad: string) => `<html><body>${pad}Your request: token ${token}</body></html>`,
      (pad: string) => `<p>${pad}refresh_token=${encodeURIComponent(refresh)}&client_id=x</p>`,
      (pad: string) => `{"echo":"${pad}Bearer ${token}"}`,
    ];
    for (const page of pages) {
      for (let pad = 0; pad <= 70; pad++) {
        const quoted = masker.mask(describeAnswerValue(page('x '.repeat(pad / 2) + 'y'.repeat(pad % 2))));
        for (const secret of [token, encodeURIComponent(refresh)]) {
          for (let i = 0; i + 6 <= secret.length; i++) assert.ok(!quoted.includes(secret.slice(i, i + 6)), `pad ${pad}: ${quoted}`);
        }
      }
    }
    assert.equal(describeAnswerValue('<html>\n  <title>Captive portal</title> Please sign in to continue browsing the web</html>'), 'the text "<html> <title>Captive portal</title> Please sign in to …"');
    assert.equal(describeAnswerValue('short page'), 'the text "short page"');
    assert.equal(describeAnswerValue(' \n'), 'empty');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeAnswerValue } from '../../src/flows/answerText';
import { SecretMasker } from '../../src/engine/secrets';

describe('describeAnswerValue', { timeout: 30_000 }, () => {
  it('masks a page before it cuts it: a secret the page echoes across the limit shows as ***, never in part — a token, and secrets holding spaces, commas and &', () => {
    const token = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';
    const password = 'hunter2, correct horse & battery staple';
    const refresh = '1//0gRefReshT0ken-ABC_def+/=';
    const masker = new SecretMasker([token, password, refresh]);
    const pages: [(pad: string) => string, string][] = [
      [(pad) => `<html><body>${pad}Your request: token ${token}</body></html>`, token],
      [(pad) => `<p>${pad}refresh_token=${encodeURIComponent(refresh)}&client_id=x</p>`, encodeURIComponent(refresh)],
      [(pad) => `{"echo":"${pad}Bearer ${token}"}`, token],
      [(pad) => `<p>${pad}login refused for password ${password}</p>`, password],
    ];
    for (const [page, shown] of pages) {
      for (let pad = 0; pad <= 70; pad++) {
        const text = page('x '.repeat(pad / 2) + 'y'.repeat(pad % 2));
        // Masked again afterwards, as the error's message is on its way to the log and the store.
        const quoted = masker.mask(describeAnswerValue(text, masker));
        for (const secret of [token, password, encodeURIComponent(refresh)]) {
          for (let i = 0; i + 6 <= secret.length; i++) assert.ok(!quoted.includes(secret.slice(i, i + 6)), `pad ${pad}: ${quoted}`);
        }
        if (text.indexOf(shown) < 60) assert.match(quoted, /\*\*\*/, `pad ${pad}: a secret starting before the limit is shown masked: ${quoted}`);
      }
    }
    assert.equal(describeAnswerValue('<html>\n  <title>Captive portal</title> Please sign in to continue browsing the web</html>', masker), 'the text "<html> <title>Captive portal</title> Please sign in to conti…"');
    assert.equal(describeAnswerValue('short page', masker), 'the text "short page"');
    assert.equal(describeAnswerValue(' \n', masker), 'empty');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkedRunName, claimFileName, firstFreeName, fittedRunName, MAX_GIVEN_RUN_NAME } from '../../src/engine/givenRunName';

describe('names a flow gives its runs', { timeout: 10_000 }, () => {
  it('fits any text to a name: control characters become spaces, long ones are cut, blank ones give none', () => {
    assert.equal(fittedRunName('stats acme'), 'stats acme');
    assert.equal(fittedRunName('line\none\ttab\u2028sep\u0085'), 'line one tab sep ');
    assert.equal(fittedRunName('x'.repeat(500)), `${'x'.repeat(MAX_GIVEN_RUN_NAME - 1)}…`);
    assert.equal(fittedRunName(' \n\t'), undefined);
    assert.equal(fittedRunName(''), undefined);
  });

  it('checks what a store is given and says what is wrong', () => {
    assert.equal(checkedRunName('report-mon'), 'report-mon');
    assert.throws(() => checkedRunName(''), /non-empty string/);
    assert.throws(() => checkedRunName(42), /non-empty string/);
    assert.throws(() => checkedRunName('a\nb'), /control characters/);
    assert.throws(() => checkedRunName('y'.repeat(MAX_GIVEN_RUN_NAME + 1)), /at most 200 characters, got 201/);
  });

  it('numbers a taken name from 2 on, skipping taken numbers', () => {
    const taken = new Set(['report', 'report-2', 'report-4']);
    assert.deepEqual(firstFreeName('fresh', (n) => taken.has(n)), { name: 'fresh', n: 1 });
    assert.deepEqual(firstFreeName('report', (n) => taken.has(n)), { name: 'report-3', n: 3 });
    assert.deepEqual(firstFreeName('report', (n) => taken.has(n), 4), { name: 'report-5', n: 5 });
  });

  it('claims a plain name under itself and any other under a hash: never a path, never two names on one file', () => {
    assert.equal(claimFileName('light-potoo'), 'light-potoo');
    assert.equal(claimFileName('report_2026-12-05'), 'report_2026-12-05');
    const odd = ['../../etc/passwd', '.', '..', 'Report', 'a/b', 'ünï', 'x'.repeat(101), ' lead'];
    const files = odd.map(claimFileName);
    for (const f of files) assert.match(f, /^=[0-9a-f]{64}$/);
    assert.equal(new Set(files).size, odd.length);
  });
});

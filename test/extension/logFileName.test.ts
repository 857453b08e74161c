/** The name a run's log is offered under when saved: a run's name (a flow chooses it) never leaves the folder. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { logFileName } from '../../src/extension/logs/logFileName';

const ROOT = join(__dirname, '..', '..');

test('a run name with path separators is one file name in the folder offered', { timeout: 10_000 }, () => {
  assert.equal(logFileName('quick-fox-12'), 'quick-fox-12.log');
  assert.equal(logFileName('../../../../tmp/x'), '.._.._.._.._tmp_x.log');
  assert.equal(logFileName('C:\\Windows\\x y'), 'C__Windows_x_y.log');
  for (const name of ['../../../../tmp/x', '/etc/passwd', '..\\..\\x']) assert.doesNotMatch(logFileName(name), /[/\\]/);
});

test('both places that save a run\'s log name the file with it (the run details used the raw run name)', { timeout: 10_000 }, () => {
  for (const file of ['dashboard/exports.ts', 'runDetails/runDetailsPanel.ts']) {
    const source = readFileSync(join(ROOT, 'src', 'extension', file), 'utf8');
    assert.match(source, /logFileName\(/, file);
    assert.doesNotMatch(source, /`\$\{run(\.n|N)ame[^`]*\}\.log`/, file);
  }
});

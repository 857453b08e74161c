import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { replaceFile } from '../../src/engine/replaceFile';
import { tempDir } from '../support/engine';

test('a file is replaced whole, private to the user, and no temporary file stays', { timeout: 10_000 }, async () => {
  const dir = tempDir();
  const file = join(dir, 'entry.json');
  writeFileSync(file, 'old');
  await Promise.all(Array.from({ length: 20 }, (_, i) => replaceFile(file, JSON.stringify({ i, pad: 'x'.repeat(10_000) }))));
  const read = JSON.parse(readFileSync(file, 'utf8')) as { i: number };
  assert.ok(read.i >= 0 && read.i < 20, 'one writer wins whole');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['entry.json']);
});

test('a failed replace throws, naming the file (not its temporary one), and leaves no temporary file behind', { timeout: 10_000 }, async () => {
  const dir = tempDir();
  const target = join(dir, 'taken');
  mkdirSync(join(target, 'inside'), { recursive: true }); // a file cannot be renamed over a folder
  await assert.rejects(replaceFile(target, 'text'), (e: Error) => e.message === `Could not write ${target}: it is a folder (EISDIR)`);
  assert.deepEqual(readdirSync(dir), ['taken']);
});

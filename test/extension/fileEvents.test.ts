/**
 * The Flows view's reads of a watched file: a read that finishes after a later event of its file (the file
 * deleted, or changed again) is out of date — the fault that left a deleted file listed as ENOENT.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FileEvents } from '../../src/extension/flows/fileEvents';

describe('FileEvents', { timeout: 10_000 }, () => {
  it('makes a read begun before the file was deleted out of date', () => {
    const events = new FileEvents();
    const read = events.event('/ws/a.flow.ts'); // changed: a read begins
    events.event('/ws/a.flow.ts'); // deleted while it reads
    assert.equal(events.isLatest('/ws/a.flow.ts', read), false);
  });

  it('keeps the last read current, and other files apart', () => {
    const events = new FileEvents();
    events.event('/ws/a.flow.ts');
    const last = events.event('/ws/a.flow.ts');
    const other = events.event('/ws/b.flow.ts');
    assert.equal(events.isLatest('/ws/a.flow.ts', last), true);
    assert.equal(events.isLatest('/ws/b.flow.ts', other), true);
  });

  it('never takes a slow old read for a later one, after reads in between finished', () => {
    const events = new FileEvents();
    const slow = events.event('/ws/a.flow.ts'); // created: a slow read
    const quick = events.event('/ws/a.flow.ts'); // changed: a quick read, done first
    assert.equal(events.isLatest('/ws/a.flow.ts', quick), true);
    events.event('/ws/a.flow.ts'); // deleted
    assert.equal(events.isLatest('/ws/a.flow.ts', slow), false, 'the first read, finishing after the deletion, is out of date');
  });
});

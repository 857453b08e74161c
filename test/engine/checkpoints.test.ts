/**
 * Call identities: a long plain argument list is hashed from its JSON; a checkpoint an earlier version
 * hashed from devalue's text is still reused for the same arguments, so a run begun before an upgrade does
 * not do its work twice.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { stringify } from 'devalue';
import { callIdentity, reusableFor, takeReusable, type Reusable } from '../../src/engine/worker/checkpoints';

const sha1 = (t: string): string => createHash('sha1').update(t).digest('base64url');

describe('call identities', { timeout: 30_000 }, () => {
  const rows = Array.from({ length: 500 }, (_, i) => ({ id: i, name: `item ${i}` }));
  const args = [rows];

  it('hash long plain arguments from their JSON, marked as such; short ones as before', () => {
    assert.equal(callIdentity('sum', 0, args).argsHash, `j:${sha1(JSON.stringify(args))}`);
    assert.equal(callIdentity('sum', 0, [7]).argsHash, '=[[1],7]');
    // A subflow's identity (legacy) is devalue's, whatever the arguments.
    assert.equal(callIdentity('flow:sub', 0, args, true).argsHash, sha1(stringify(args)));
  });

  it("reuse an earlier version's checkpoint of the same call, and only of the same arguments", () => {
    const call = callIdentity('sum', 0, args);
    const before: Reusable = { argsHash: sha1(stringify(args)), attempt: 1, taskRunId: 'r-1' };
    const checkpoints = new Map([['sum#0', before]]);
    assert.equal(reusableFor(checkpoints, call, args), before, 'the old hash of the same arguments');
    const other = [rows.map((r) => ({ ...r, id: r.id + 1 }))];
    assert.equal(reusableFor(checkpoints, callIdentity('sum', 0, other), other), undefined, 'other arguments');
    const now: Reusable = { argsHash: call.argsHash!, attempt: 1, taskRunId: 'r-1' };
    assert.equal(reusableFor(new Map([['sum#0', now]]), call, args), now, "this version's hash");
    assert.equal(reusableFor(new Map([['sum#1', now]]), call, args), undefined, 'another call of the task');
  });

  it('a call whose own checkpoint is not there takes one of the same task and arguments no call of its attempt took; each checkpoint once per attempt', () => {
    const cp = (task: string, n: number, arg: string): [string, Reusable] => [`${task}#${n}`, { argsHash: callIdentity(task, n, [arg]).argsHash!, attempt: 1, taskRunId: `${task}-${n}` }];
    // Attempt 1: charge('B') was the 1st call, charge('A') the 2nd; send('x') twice, only the 2nd completed.
    const scope = { checkpoints: new Map([cp('charge', 0, 'B'), cp('charge', 1, 'A'), cp('send', 1, 'x')]), attempt: 2 } as Parameters<typeof takeReusable>[0];
    const take = (task: string, n: number, arg: string) => takeReusable(scope, callIdentity(task, n, [arg]), [arg])?.taskRunId;
    assert.equal(take('charge', 0, 'A'), 'charge-1', "the 1st call now has A: attempt 1's call with A");
    assert.equal(take('charge', 1, 'B'), 'charge-0');
    assert.equal(take('charge', 2, 'A'), undefined, 'taken already: a third call runs');
    assert.equal(take('send', 0, 'x'), 'send-1', 'one send was done');
    assert.equal(take('send', 1, 'x'), undefined, 'the other was not: it runs');
    assert.equal(take('other', 0, 'B'), undefined, 'another task never takes it');
    // The next attempt (a retry in the same worker) may take them again.
    scope.attempt = 3;
    assert.equal(take('charge', 0, 'B'), 'charge-0');
  });
});

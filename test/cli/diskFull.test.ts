/**
 * Commands that find the disk full before any run could record anything (QA hunt B, bugs 1 and 3): one
 * message saying the disk is full, where, and what to do — never a stack, as for a bug — and exit 2, as for
 * a store folder that cannot be used. `delete` and `prune` say to free some space first: they record what
 * they remove before removing it. A run the full disk stopped is not this: it ends Failed, exit 1
 * (test/engine/faultTolerance.test.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, flowSource, tempDir, workspace } from '../support/engine';
import { FILL_DISK_SH, noSmallDisk, onSmallDisk } from '../support/smallDisk';

const T = { timeout: 180_000 };

describe('a full disk, said plainly', T, () => {
  it('run, resume, cancel, delete and prune each print one message saying what to do, exit 2, and no stack', async (t) => {
    const why = noSmallDisk();
    if (why) return t.skip(why);
    const ws = workspace({
      'ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async () => 1);`),
      'bad.flow.ts': flowSource(`export default flow({ name: 'bad' }, async () => { throw new Error('no'); });`),
      // Waits until cancelled (at the end of the script, once there is room).
      'slow.flow.ts': flowSource(`export default flow({ name: 'slow' }, async () => { getRunLogger().info('slow started'); await new Promise((r) => { const t = setTimeout(r, 120_000); getRunContext().signal.addEventListener('abort', () => { clearTimeout(t); r(0); }); }); });`),
    });
    // What each command printed goes outside the small disk (a full one would swallow it).
    const out = tempDir();
    const attempt = (label: string, args: string) => `${FILL_DISK_SH}\n"$NODE" "$CLI" ${args} > ${out}/${label}.out 2> ${out}/${label}.err; echo $? > ${out}/${label}.rc`;
    const script = `export FLOWDECK_HOME=/mnt/home
fd() { "$NODE" "$CLI" "$@"; }
fd run ok.flow.ts > /dev/null 2>&1
fd run bad.flow.ts > /dev/null 2>&1
fd run slow.flow.ts > /dev/null 2> ${out}/slow.err &
n=0; while ! grep -q 'slow started' ${out}/slow.err; do sleep 0.1; n=$((n+1)); [ $n -lt 600 ] || exit 98; done
id() { fd runs --json | "$NODE" -e "let s='';process.stdin.on('data',(d)=>s+=d).on('end',()=>console.log(JSON.parse(s).find((r)=>r.flowName===process.argv[1]).id))" "$1"; }
ok=$(id ok); bad=$(id bad); slow=$(id slow)
${attempt('cancel', 'cancel $slow')}
${attempt('run', 'run ok.flow.ts')}
${attempt('resume', 'resume $bad')}
${attempt('delete', 'delete $bad')}
${attempt('prune', 'prune --keep 0')}
rm /mnt/filler
fd cancel $slow > /dev/null 2>&1
wait
fd runs --json > ${out}/runs.json`;
    const r = onSmallDisk(4096, script, { cwd: ws, env: { CLI }, timeoutMs: 150_000 });
    assert.equal(r.status, 0, `${r.status} ${r.stderr}`);
    const read = (f: string) => readFileSync(join(out, f), 'utf8');
    for (const command of ['cancel', 'run', 'resume', 'delete', 'prune']) {
      const stderr = read(`${command}.err`);
      assert.equal(read(`${command}.rc`).trim(), '2', `${command}: ${stderr}`);
      assert.match(stderr, new RegExp(`^flowdeck ${command}: The disk is full: Flowdeck could not write /mnt/home/runs/\\S+ \\(no space left on the device\\)\\. `), command);
      assert.match(stderr, command === 'delete' || command === 'prune' ? /needs a little free space itself .* so free some first, then run the command again\.\n$/ : /Free some space on that disk, then run the command again\.\n$/, command);
      assert.doesNotMatch(stderr, /\n\s+at |StoreWriteError|ENOSPC:/, `${command}: no stack, no raw error`);
    }
    // Nothing was taken away while the disk was full: the three runs are still there.
    const runs = JSON.parse(read('runs.json')) as { flowName: string }[];
    assert.deepEqual(runs.map((x) => x.flowName).sort(), ['bad', 'ok', 'slow']);
  });

  it("a flow's own result that does not fit on the disk is left out with a warning: the run Completes, no part of the file is left", async (t) => {
    const why = noSmallDisk();
    if (why) return t.skip(why);
    const ws = workspace({ 'big.flow.ts': flowSource(`export default flow({ name: 'big' }, async () => 'x'.repeat(3 * 1024 * 1024));`) });
    const out = tempDir();
    const script = `export FLOWDECK_HOME=/mnt/home
"$NODE" "$CLI" run big.flow.ts --json > ${out}/run.json 2> ${out}/run.err; echo $? > ${out}/run.rc
find /mnt/home/runs -name '*.dv' > ${out}/left.txt`;
    const r = onSmallDisk(2048, script, { cwd: ws, env: { CLI }, timeoutMs: 150_000 });
    assert.equal(r.status, 0, `${r.status} ${r.stderr}`);
    const read = (f: string) => readFileSync(join(out, f), 'utf8');
    assert.equal(read('run.rc').trim(), '0', read('run.err'));
    const doc = JSON.parse(read('run.json')) as { state: { name: string }; result: unknown };
    assert.equal(doc.state.name, 'Completed');
    assert.equal(doc.result, null);
    assert.match(read('run.err'), /WARNING .*The flow's result was not kept: ENOSPC: no space left on device/);
    assert.equal(read('left.txt').trim(), '', 'no part of the result file is left');
  });
});


describe('a task result that does not fit on the disk', T, () => {
  it('fails its task run saying Flowdeck could not keep its result, where, and what to do', async (t) => {
    const why = noSmallDisk();
    if (why) return t.skip(why);
    const ws = workspace({
      'big.flow.ts': flowSource(`const big = task({ name: 'big' }, async () => 'x'.repeat(3 * 1024 * 1024));
export default flow({ name: 'big' }, async () => { await big(); return 1; });`),
    });
    const out = tempDir();
    const script = `export FLOWDECK_HOME=/mnt/home
"$NODE" "$CLI" run big.flow.ts --json > ${out}/run.json 2> ${out}/run.err; echo $? > ${out}/run.rc`;
    const r = onSmallDisk(2048, script, { cwd: ws, env: { CLI }, timeoutMs: 150_000 });
    assert.equal(r.status, 0, `${r.status} ${r.stderr}`);
    const read = (f: string) => readFileSync(join(out, f), 'utf8');
    assert.equal(read('run.rc').trim(), '1', read('run.err'));
    const doc = JSON.parse(read('run.json')) as { state: { name: string; message: string }; taskRuns: { state: { name: string; message: string } }[] };
    assert.equal(doc.state.name, 'Failed');
    const said = (who: string) => new RegExp(`^${who} returned a result Flowdeck could not keep: Could not write /mnt/home/runs/[0-9a-f-]+\\.results/\\S+\\.dv: no space left on the device \\(ENOSPC\\)\\. Free some space, then resume the run`);
    assert.match(doc.taskRuns[0]!.state.message, said('Task run'));
    assert.match(doc.state.message, said("Task run 'big-0'"));
  });
});

describe('a run the full disk stops as it goes', T, () => {
  it('says once that what the run shows after its failed write is not on record; the run ends Failed, exit 1', async (t) => {
    const why = noSmallDisk();
    if (why) return t.skip(why);
    // Waits at its start for the disk to be full, then logs on: its journal writes fail while the worker goes on.
    const ws = workspace({
      'noisy.flow.ts': flowSource(`import { existsSync } from 'node:fs';
const step = task({ name: 'step' }, async (i: number) => { for (let n = 0; n < 200; n++) getRunLogger().info('line ' + n + ' ' + 'x'.repeat(200)); return i; });
export default flow({ name: 'noisy' }, async () => {
  getRunLogger().info('noisy started');
  while (!existsSync(process.env.GATE!)) await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < 50; i++) await step(i);
});`),
    });
    const out = tempDir();
    const script = `export FLOWDECK_HOME=/mnt/home GATE=${out}/gate
"$NODE" "$CLI" run noisy.flow.ts > ${out}/run.out 2> ${out}/run.err &
n=0; while ! grep -q 'noisy started' ${out}/run.out ${out}/run.err 2>/dev/null; do sleep 0.1; n=$((n+1)); [ $n -lt 600 ] || exit 98; done
${FILL_DISK_SH}
touch ${out}/gate
wait $!; echo $? > ${out}/run.rc`;
    const r = onSmallDisk(4096, script, { cwd: ws, env: { CLI }, timeoutMs: 150_000 });
    assert.equal(r.status, 0, `${r.status} ${r.stderr}`);
    const read = (f: string) => readFileSync(join(out, f), 'utf8');
    assert.equal(read('run.rc').trim(), '1', read('run.err'));
    assert.match(read('run.err'), /no space left on the device/);
    const said = read('run.err').split('\n').filter((l) => l.includes('is not on record'));
    assert.deepEqual(said, ['flowdeck: the run is being stopped as it cannot be recorded: what it shows from here on (task runs finishing) is not on record, and those task runs run again if it is resumed.']);
  });
});

/**
 * A run's details panel folding a finished map: its JournalFollower reading the run's journal file as the
 * panel does, against the reducer folding every task run of the same journal (the baseline, measured in
 * the same rounds, interleaved): memory held once folded, CPU, and the most CPU between two batches handed
 * on (the extension host's thread held in one go).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { scanJsonLines } from '../src/engine/jsonLines';
import type { FlowRunSummary, RunRecord } from '../src/engine/records';
import { asRunRecord } from '../src/engine/recordShape';
import { JournalReplay } from '../src/engine/runReducer';
import { state } from '../src/engine/states';
import { JournalFollower } from '../src/extension/runs/journalFollower';
import { fileJournal } from '../src/engine/journalSource';
import { median, spread } from './stats';

const RUN = '6f1c1f9e-2a3b-4c5d-8e7f-901234567890';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
};

/** A finished map's journal as the worker writes it: one `trun` line a task run, every 1,000th failed. */
function writeJournal(file: string, tasks: number): FlowRunSummary {
  const created = 1_790_000_000_000;
  const lines: string[] = [
    JSON.stringify({ k: 'run', runId: RUN, name: 'huge-map', flowName: 'noop-map', source: '/ws/noop.flow.ts', parameters: { n: tasks }, created, owner: { pid: 1, hostname: 'bench' } } satisfies RunRecord),
    JSON.stringify({ k: 'state', runId: RUN, name: 'Running', ts: created + 1, attempt: 1 } satisfies RunRecord),
  ];
  for (let i = 0; i < tasks; i++) {
    const ts = created + 2 + i;
    const failed = i % 1000 === 999;
    lines.push(
      JSON.stringify({
        k: 'trun',
        runId: RUN,
        id: `3a726231-${i}`,
        name: `noop-${i}`,
        taskName: 'noop',
        ts,
        start: ts,
        end: ts + 1,
        state: failed ? 'Failed' : 'Completed',
        ...(failed ? { message: `Error: item ${i}` } : { value: [i] }),
        call: { key: `noop#${i}`, argsHash: `=[[1],${i}]` },
      } satisfies RunRecord),
    );
  }
  const end = created + 3 + tasks;
  lines.push(JSON.stringify({ k: 'state', runId: RUN, name: 'Failed', ts: end, message: `${tasks / 1000} task runs failed` } satisfies RunRecord));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { id: RUN, name: 'huge-map', flowName: 'noop-map', source: '/ws/noop.flow.ts', state: state('Failed', undefined, end), created, owner: { pid: 1, hostname: 'bench' }, attempt: 1, seq: 0 };
}

interface FoldSample {
  heldMb: number;
  cpuMs: number;
  maxBatchCpuMs: number;
  tasksHeld: number;
}

/** Folds the journal with `fold`, which hands each batch on to `onBatch`; what it holds is kept by `keep` until measured. */
async function measure(fold: (onBatch: () => void) => Promise<{ tasksHeld: number; keep: unknown }>): Promise<FoldSample> {
  const base = heapUsed();
  const cpu = process.cpuUsage();
  let last = process.cpuUsage();
  let maxBatchCpuMs = 0;
  const { tasksHeld, keep } = await fold(() => {
    maxBatchCpuMs = Math.max(maxBatchCpuMs, cpuMsSince(last));
    last = process.cpuUsage();
  });
  const cpuMs = cpuMsSince(cpu);
  const heldMb = (heapUsed() - base) / (1024 * 1024);
  if (keep === undefined) throw new Error('nothing folded');
  return { heldMb, cpuMs, maxBatchCpuMs, tasksHeld };
}

export async function runDetailsBench(rounds: number, tasks: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdeck-bench-details-'));
  const file = join(dir, `${RUN}.jsonl`);
  const summary = writeJournal(file, tasks);
  const panel: FoldSample[] = [];
  const whole: FoldSample[] = [];
  for (let r = 0; r < rounds; r++) {
    panel.push(
      await measure(async (onBatch) => {
        const follower = new JournalFollower(fileJournal(file, RUN), RUN, onBatch, (e) => {
          throw e;
        });
        await follower.catchUp();
        follower.mergeSummary(summary);
        follower.close();
        return { tasksHeld: follower.fold?.tasks.size ?? 0, keep: follower };
      }),
    );
    whole.push(
      await measure(async (onBatch) => {
        const replay = new JournalReplay(summary);
        await scanJsonLines(file, 0, (v) => asRunRecord(v, RUN), (records) => {
          for (const rec of records) replay.add(rec);
          onBatch();
        });
        const detail = replay.detail();
        return { tasksHeld: detail.taskRuns.length, keep: detail };
      }),
    );
  }
  rmSync(dir, { recursive: true, force: true });
  const m = (xs: FoldSample[], k: keyof FoldSample): number => median(xs.map((x) => x[k]));
  return {
    tasks,
    panelHeldMb: m(panel, 'heldMb'),
    panelHeldSpread: spread(panel.map((x) => x.heldMb)),
    panelTasksHeld: m(panel, 'tasksHeld'),
    panelCpuMs: m(panel, 'cpuMs'),
    panelMaxBatchCpuMs: m(panel, 'maxBatchCpuMs'),
    wholeHeldMb: m(whole, 'heldMb'),
    wholeCpuMs: m(whole, 'cpuMs'),
    heldRatio: median(panel.map((p, i) => p.heldMb / whole[i]!.heldMb)),
    cpuRatio: median(panel.map((p, i) => p.cpuMs / whole[i]!.cpuMs)),
  };
}

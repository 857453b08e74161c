/**
 * The floor of a warm one-task run, measured on this machine in the same rounds as the run itself: the
 * steps no engine that keeps Flowdeck's promises can skip, one after the other, and nothing else.
 *
 *   1. the host tells a process forked ahead of time (idle since, like the standby) which module to load;
 *      it imports that ES module, never seen before, and answers — the flow's load;
 *   2. one synced write of the run's records to its journal, then the run listed in the index (a write
 *      and an fdatasync): the run on record before any of its code runs;
 *   3. the host tells the process to start; it answers at once — the flow's body and its task run;
 *   4. one synced write of what the run did, then one of its final state, which is written only once
 *      everything before it is on disk.
 *
 * Flowdeck's run adds to this: its messages, parsing and masking, the reducer, the flow's Running state
 * (its own write when it comes before the task run), the worker's API, the log lines.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { constants, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Records about the size of a one-task run's own (bytes). */
const CREATION = `${JSON.stringify({ k: 'run', pad: 'x'.repeat(330) })}\n`;
const LISTED = `${JSON.stringify({ k: 'run', pad: 'x'.repeat(320) })}\n`;
const TASK_RUN = `${JSON.stringify({ k: 'trun', pad: 'x'.repeat(480) })}\n`;
const FINAL = `${JSON.stringify({ k: 'state', pad: 'x'.repeat(250) })}\n`;

const O_DSYNC: number = constants.O_DSYNC ?? 0;

export class WarmFloor {
  private readonly child: ChildProcess;
  private round = 0;

  constructor(private readonly dir: string) {
    this.child = fork(join(__dirname, 'warmFloorChild.mjs'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  }

  /** Waits for the child's Node to be up (its first answer), as the standby is before a run. */
  async ready(): Promise<void> {
    await this.once(() => this.child.send({ t: 'ping' }), 'pong');
  }

  /**
   * A fresh flow module for the next round, written ahead of it (the warm run's flow file is on disk
   * before its run too). Returns its URL.
   */
  prepare(): string {
    const file = join(this.dir, `floor-${++this.round}.mjs`);
    writeFileSync(file, `const one = async () => 1;\nexport default { name: 'one', run: async () => one() };\n`);
    return pathToFileURL(file).href;
  }

  /** One warm run's floor, start → final state on disk (ms). */
  async measure(url: string): Promise<number> {
    const journal = await open(join(this.dir, `floor-${this.round}.jsonl`), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | O_DSYNC, 0o600);
    const index = await open(join(this.dir, 'floor-index.jsonl'), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    try {
      const t0 = performance.now();
      await this.once(() => this.child.send({ t: 'load', url }), 'ready');
      await journal.write(CREATION);
      await index.write(LISTED);
      await index.datasync();
      await this.once(() => this.child.send({ t: 'start' }), 'ended');
      await journal.write(TASK_RUN);
      await journal.write(FINAL);
      return performance.now() - t0;
    } finally {
      await journal.close();
      await index.close();
    }
  }

  dispose(): void {
    this.child.kill();
  }

  /** Sends, then waits for the child's answer `kind`; rejects on any other answer, or if the child ends first. */
  private once(send: () => void, kind: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      const onMessage = (m: { k: string; message?: string }): void => {
        done();
        if (m.k === kind) resolve();
        else reject(new Error(`warm floor: ${m.message ?? m.k}`));
      };
      const onExit = (code: number | null, signal: string | null): void => {
        done();
        reject(new Error(`warm floor: its process ended (${code ?? signal}) before answering '${kind}'`));
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      send();
    });
  }
}

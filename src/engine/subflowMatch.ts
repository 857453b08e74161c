/**
 * How a subflow call finds its run. A call an earlier attempt of its parent made (a resume, found by its place
 * among the calls, or else by its flow and parameters) reuses that run's result, or resumes it as a new attempt
 * of its own; a retry of the parent in the same worker finds the run its failed attempt made here the same way.
 * Each run is taken by one call of an attempt (Execution.subflowCalledIn). Anything else is a new subflow run.
 */
import { beginAttempt } from './beginAttempt';
import type { Execution, LiveRun } from './execution';
import { fittedRunName } from './givenRunName';
import { flowRunSource } from './logFormat';
import type { Request, SubflowReply } from './protocol';
import type { FlowRunDetail } from './records';
import { resumePlanFor } from './resumePlan';
import type { RunStore } from './runStore';
import { mergedTags, tagsField, tagsOf } from './runTags';
import { stateRecord } from './stateRecord';
import { isTerminal, state } from './states';
import { MAX_SUBFLOW_DEPTH, subflowLevel, tooDeepError } from './subflowDepth';

/** The flow a subflow call's key (`flow:billing#2`) names, without its place among the calls. */
function calledFlow(key: string): string {
  return key.slice(0, key.lastIndexOf('#'));
}

/** Why a completed subflow run's result did not come with it: "its result was not kept (…)". */
function unkeptWhy(run: FlowRunDetail): string {
  return `its result was not kept (${(run.resultNote ?? '').replace(/^The flow's result was not kept: /, '')})`;
}

/** A subflow run's name as its flow gave it (`flowRunName`), masked and fitted. */
function subflowName(runName: unknown, masker: { mask(text: string): string }): { name?: string } {
  const name = typeof runName === 'string' ? fittedRunName(masker.mask(runName)) : undefined;
  return name !== undefined ? { name } : {};
}

export class SubflowMatch {
  constructor(
    private readonly store: RunStore,
    private readonly masker: { mask(text: string): string },
  ) {}

  /** The subflow run a call (`request`) gets, taken by the call's attempt of its parent: no other call of that attempt gets it. */
  async call(execution: Execution, request: Extract<Request, { op: 'subflow' }>): Promise<SubflowReply> {
    const parent = execution.runs.get(request.parentRunId);
    if (!parent) throw new Error(`unknown parent run ${request.parentRunId}`);
    const reply = await this.subflowFor(execution, parent, request);
    execution.subflowCalledIn.set(reply.id, parent.fold.detail.attempt);
    return reply;
  }

  /** A completed subflow run handed back as reused whose result the worker cannot read back: it runs again. */
  async unreadable(execution: Execution, request: Extract<Request, { op: 'subflow-unreadable' }>): Promise<SubflowReply> {
    const parent = execution.runs.get(request.parentRunId);
    // Only a run this execution handed back as reused, under this parent: the worker runs user code.
    const earlier = parent && execution.reusedPrior.has(request.runId) ? await this.store.readRun(request.runId) : undefined;
    if (!parent || earlier?.parentRunId !== request.parentRunId) throw new Error(`run ${request.runId} was not handed back as reused under ${request.parentRunId}`);
    return this.subflowAgain(execution, parent, earlier, `its result cannot be read back (${request.why})`);
  }

  /** Every subflow run below `rootId`, by parent, with its history: what a new attempt's calls find again (Execution.prior). */
  async prior(rootId: string): Promise<Map<string, FlowRunDetail[]>> {
    const prior = new Map<string, FlowRunDetail[]>();
    for (const r of (await this.store.runTree(rootId)).slice(1)) {
      const d = await this.store.readRun(r.id);
      if (!d || !d.parentRunId) continue;
      const siblings = prior.get(d.parentRunId);
      if (siblings) siblings.push(d);
      else prior.set(d.parentRunId, [d]);
    }
    return prior;
  }

  /** Subflow runs of an earlier attempt this attempt never called again: they end with it. */
  async settleUntouched(execution: Execution, onError: (runId: string, error: Error) => void): Promise<void> {
    const end = execution.root.fold.detail.state;
    for (const d of execution.untouchedPrior) {
      if (isTerminal(d.state.type)) continue;
      try {
        const handle = await this.store.openRun(d.id);
        const s = state(end.type === 'CANCELLED' ? 'Cancelled' : 'Failed', `not resumed: attempt ${execution.root.fold.detail.attempt} of its parent ended without calling it again`);
        await handle.append([stateRecord(d.id, s)]);
        await handle.setState(s, { endTime: s.timestamp });
        await handle.close();
      } catch (e) {
        onError(d.id, e as Error);
      }
    }
  }

  /** The subflow run a call gets: an earlier attempt's (reused, or resumed as a new attempt of its own), or a new one. */
  private async subflowFor(execution: Execution, parent: LiveRun, request: Extract<Request, { op: 'subflow' }>): Promise<SubflowReply> {
    // Its own call of an earlier attempt, or else (calls made as earlier awaits settle come in another order
    // once those are reused) one of the same flow with the same parameters that no call of this attempt took.
    const prior = execution.prior.get(request.parentRunId) ?? [];
    const free = (d: FlowRunDetail): boolean => request.call.argsHash !== undefined && d.call?.argsHash === request.call.argsHash && !execution.subflowCalledIn.has(d.id);
    const earlier = prior.find((d) => d.call?.key === request.call.key && free(d)) ?? prior.find((d) => d.call !== undefined && calledFlow(d.call.key) === calledFlow(request.call.key) && free(d));
    if (earlier) {
      // Taken at once: a call made meanwhile (Promise.all) must not take it too while this one opens it.
      execution.subflowCalledIn.set(earlier.id, parent.fold.detail.attempt);
      return this.resumeSubflow(execution, parent, earlier);
    }
    // A retry of the parent in this worker (its flow's `retries`): the subflow run its failed attempt made
    // for this very call is reused or resumes, as it would on `flowdeck resume` of the parent.
    const here = await this.endedHere(execution, request);
    const again = here && (await this.againHere(execution, parent, here));
    if (again) return again;
    // Bounded nesting: a flow calling itself without end fails this call, with no run created for it.
    const level = subflowLevel(request.parentRunId, (id) => execution.runs.get(id)?.fold.detail.parentRunId);
    if (level > MAX_SUBFLOW_DEPTH) throw tooDeepError(request.flowName, level);
    const handle = await this.store.createRun({
      flowName: request.flowName,
      source: parent.fold.detail.source,
      parameters: request.parameters,
      parentRunId: request.parentRunId,
      call: request.call,
      ...(request.parentTaskRunId !== undefined ? { parentTaskRunId: request.parentTaskRunId } : {}),
      ...subflowName(request.runName, this.masker),
      ...(execution.request.refreshCache ? { refreshCache: true } : {}),
      // A subflow run carries its own flow's tags and its parent's (as Prefect's tags context reaches the
      // runs inside it). The worker's are checked again: it runs user code.
      ...tagsField(mergedTags(tagsOf(request.tags), parent.fold.detail.tags)),
    });
    execution.adopt(handle, handle.created);
    execution.log(parent, 'INFO', flowRunSource(parent.fold.detail.name), `Created subflow run '${handle.name}' for flow '${request.flowName}'`);
    execution.flushPending();
    return { id: handle.id, name: handle.name, resultsDir: handle.resultsDir } satisfies SubflowReply;
  }

  /**
   * A subflow call an earlier attempt made with the same identity: completed → its result, without
   * running it; otherwise the same subflow run resumes, as a new attempt of its own.
   */
  private async resumeSubflow(execution: Execution, parent: LiveRun, earlier: FlowRunDetail): Promise<SubflowReply> {
    if (earlier.state.type === 'COMPLETED' && earlier.resultNote === undefined) {
      const reused: SubflowReply['reused'] = { argsHash: earlier.call!.argsHash!, attempt: earlier.attempt, taskRunId: earlier.id };
      if (earlier.result !== undefined) reused.value = earlier.result.dv;
      if (earlier.resultRef !== undefined) reused.ref = earlier.resultRef;
      // Said by the worker once it has read the result back (subflow-unreadable when it cannot).
      execution.reusedPrior.add(earlier.id);
      return { id: earlier.id, name: earlier.name, resultsDir: this.store.resultsDir(earlier.id), reused };
    }
    // Completed with its result not kept (a function in it, too large): reused, the call would get nothing. It
    // runs again from its own checkpoints instead, as a task whose result was not kept runs again.
    if (earlier.state.type === 'COMPLETED') return this.subflowAgain(execution, parent, earlier, unkeptWhy(earlier));
    return this.resumeEarlier(execution, earlier);
  }

  /**
   * A completed subflow run whose result its call cannot get (`why`) runs again from its own checkpoints, as a
   * new attempt of the same run, its parent's log saying why.
   */
  private async subflowAgain(execution: Execution, parent: LiveRun, earlier: FlowRunDetail, why: string): Promise<SubflowReply> {
    execution.log(
      parent,
      'WARNING',
      flowRunSource(parent.fold.detail.name),
      `Subflow run '${earlier.name}' for flow '${earlier.flowName}' completed in attempt ${earlier.attempt}, but ${why}: it runs again from its checkpoints to give it`,
    );
    // One this worker ran (its parent's retry) is live here already.
    const live = execution.runs.get(earlier.id);
    if (live === undefined) return this.resumeEarlier(execution, earlier);
    const summary = resumePlanFor(earlier, earlier.attempt + 1);
    beginAttempt(execution, live, summary, 'Resuming');
    execution.flushPending();
    return { id: earlier.id, name: earlier.name, resultsDir: live.handle.resultsDir, resume: summary.plan };
  }

  /** A subflow run of an earlier attempt of its parent, taken up again as a new attempt of its own. */
  private async resumeEarlier(execution: Execution, earlier: FlowRunDetail): Promise<SubflowReply> {
    const live = execution.adoptExisting(await this.store.openRun(earlier.id), earlier);
    const summary = resumePlanFor(earlier, earlier.attempt + 1);
    beginAttempt(execution, live, summary, 'Resuming');
    execution.flushPending();
    await this.store.dropUnrecordedResults(earlier.id, false).catch(() => undefined);
    return { id: earlier.id, name: earlier.name, resultsDir: this.store.resultsDir(earlier.id), resume: summary.plan };
  }

  /**
   * The subflow run an earlier attempt of its parent made here for the call `request` makes again, once its
   * end is on record: the one of the call's own identity, or else (calls made as earlier awaits settle come in
   * another order once those are reused) one of the same flow with the same parameters that no call of this
   * attempt took. Not one still going (its attempt failed without awaiting it): that one runs on, and the call
   * gets a run of its own.
   */
  private async endedHere(execution: Execution, request: Extract<Request, { op: 'subflow' }>): Promise<LiveRun | undefined> {
    const { key, argsHash } = request.call;
    const attempt = execution.runs.get(request.parentRunId)?.fold.detail.attempt ?? 1;
    // Only a parent past its first attempt calls again: a first attempt's calls are all new, and are not
    // looked for among every run of the execution (a map of many subflows would look at each of them).
    if (argsHash === undefined || attempt <= 1) return undefined;
    const untaken = [...execution.runs.values()].filter((l) => {
      const d = l.fold.detail;
      return d.parentRunId === request.parentRunId && d.call?.argsHash === argsHash && calledFlow(d.call.key) === calledFlow(key) && execution.subflowCalledIn.get(d.id) !== attempt;
    });
    const same = untaken.filter((l) => l.fold.detail.call?.key === key).at(-1) ?? untaken.filter((l) => l.ended !== undefined).at(-1);
    if (same?.ended === undefined) return undefined;
    // Taken at once: a call made meanwhile must not take it too while this one waits for its end.
    execution.subflowCalledIn.set(same.fold.detail.id, attempt);
    await same.ended;
    return same;
  }

  /**
   * `live`, a subflow run of this worker that ended, called again by a retry of its parent: completed, its
   * result (the worker hands one back itself while it holds it; a subflow resumed since does not); failed
   * (Failed, TimedOut) or completed with its result not kept, it resumes as a new attempt of its own, given
   * its completed task runs' checkpoints. Both read from its journal: a host that does not fold task runs
   * (the CLI) holds none of them. Undefined — a new run — for one cancelled (it stays as it was cancelled).
   */
  private async againHere(execution: Execution, parent: LiveRun, live: LiveRun): Promise<SubflowReply | undefined> {
    const type = live.fold.detail.state.type;
    if (type !== 'COMPLETED' && type !== 'FAILED') return undefined;
    const detail = await this.store.readRun(live.fold.detail.id);
    if (!detail || detail.state.type !== type) return undefined;
    if (type === 'COMPLETED') return this.resumeSubflow(execution, parent, detail);
    const summary = resumePlanFor(detail, detail.attempt + 1);
    beginAttempt(execution, live, summary, 'Resuming');
    execution.flushPending();
    return { id: detail.id, name: detail.name, resultsDir: live.handle.resultsDir, resume: summary.plan };
  }
}

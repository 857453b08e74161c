/** The JSON shape `flowdeck run --json` and `flowdeck runs --json` print for a run. */
import type { FlowRunDetail } from '../engine/records';
import type { State } from '../engine/states';

export interface RunJson {
  id: string;
  name: string;
  flowName: string;
  parameters: Record<string, unknown>;
  state: { type: State['type']; name: State['name']; message?: string };
  startTime: string | null;
  endTime: string | null;
  result: unknown;
  taskRuns: {
    id: string;
    name: string;
    state: { type: State['type']; name: State['name']; message?: string };
    attempts: number;
    startTime: string | null;
    endTime: string | null;
  }[];
}

function iso(ts: number | undefined): string | null {
  return ts === undefined ? null : new Date(ts).toISOString();
}

function stateJson(s: State): RunJson['state'] {
  return s.message === undefined ? { type: s.type, name: s.name } : { type: s.type, name: s.name, message: s.message };
}

export function runJson(run: FlowRunDetail): RunJson {
  return {
    id: run.id,
    name: run.name,
    flowName: run.flowName,
    parameters: run.parameters,
    state: stateJson(run.state),
    startTime: iso(run.startTime),
    endTime: iso(run.endTime),
    result: run.result ?? null,
    taskRuns: run.taskRuns.map((t) => ({
      id: t.id,
      name: t.name,
      state: stateJson(t.state),
      attempts: t.attempts,
      startTime: iso(t.startTime),
      endTime: iso(t.endTime),
    })),
  };
}

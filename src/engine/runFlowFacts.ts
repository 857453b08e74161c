/**
 * What a loaded flow adds to a run made before it was loaded — queued (`run --queue`), a stored schedule's
 * (`schedule add`): the flow's `resumeOnCrash` and its own tags, which such a run could not carry when it was
 * made. The runner records them as it takes the run up (RunFlowRecord), so a crash resumes it and `runs --tag`
 * finds it as it would a run started directly.
 */
import type { FlowInfo } from './protocol';
import type { FlowRunSummary, RunFlowFacts } from './records';
import { mergedTags, tagsOf } from './runTags';

/** What `flow` adds to `run`; undefined when it adds nothing. The flow's tags come from user code: checked again. */
export function flowFacts(run: Pick<FlowRunSummary, 'resumeOnCrash' | 'tags'>, flow: Pick<FlowInfo, 'resumeOnCrash' | 'tags'> | undefined): RunFlowFacts | undefined {
  if (!flow) return undefined;
  const facts: RunFlowFacts = {};
  if (flow.resumeOnCrash === true && !run.resumeOnCrash) facts.resumeOnCrash = true;
  const tags = mergedTags(run.tags, tagsOf(flow.tags));
  if (tags !== undefined && tags.length > (run.tags?.length ?? 0)) facts.tags = tags;
  return facts.resumeOnCrash || facts.tags ? facts : undefined;
}

/** The top of a run's details: who it is, how it went, and what can be done with it. */
import { h } from '../dom';
import { formatDuration } from '../format';
import type { FailureView, RunAction, RunHeader } from './protocol';

export interface HeaderEvents {
  onAction(action: RunAction): void;
  onGoToFailure(taskRunId?: string): void;
  onOpenRun(runId: string): void;
}

const ACTIONS: { action: RunAction; label: string; title: string; enabled: (h: RunHeader) => boolean }[] = [
  { action: 'resume', label: 'Resume…', title: 'Give this paused run the input it waits for, and let it go on', enabled: (x) => x.actions.resume },
  { action: 'cancel', label: 'Cancel', title: 'Cancel this run', enabled: (x) => x.actions.cancel },
  { action: 'retryFromFailure', label: 'Retry from Failure', title: 'Resume this run: completed task runs are reused', enabled: (x) => x.actions.retryFromFailure },
  { action: 'rerun', label: 'Rerun', title: 'Run the flow again from the start with the same parameters', enabled: (x) => x.actions.rerun },
  { action: 'openSource', label: 'Open Flow Source', title: "Open the flow's file", enabled: (x) => x.actions.openSource },
  { action: 'showLogs', label: 'Show Logs', title: 'Open the log as a document', enabled: (x) => !x.deleted && !x.otherStore },
];

/** The state line shows this much of a message (it is cut to one line by its style), its tooltip more. */
const STATE_LINE_CHARS = 500;
const STATE_TITLE_CHARS = 2000;

/** `2026-11-26 14:03:07` in local time. */
export function formatStamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function durationOf(header: RunHeader, now: number): string | undefined {
  const start = header.startTime ?? header.created;
  const going = header.endTime === undefined && ['RUNNING', 'PENDING', 'CANCELLING', 'SCHEDULED', 'PAUSED'].includes(header.state.type);
  const end = header.endTime ?? (going ? now : undefined);
  return end === undefined ? undefined : formatDuration(end - start);
}

/** The one action that stands out: what a user most likely wants next. */
function primaryAction(header: RunHeader): RunAction | undefined {
  if (header.actions.resume) return 'resume';
  if (header.actions.cancel) return 'cancel';
  if (header.actions.retryFromFailure) return 'retryFromFailure';
  return header.actions.rerun ? 'rerun' : undefined;
}

export function renderHeader(header: RunHeader, now: number, events: HeaderEvents): HTMLElement {
  const fact = (label: string, value: Node | string) => [h('dt', null, label), h('dd', null, value)];
  const duration = durationOf(header, now);
  const facts = h(
    'dl',
    { class: 'facts' },
    ...fact('Flow', `${header.flowName} · ${header.source}`),
    ...fact(
      'State',
      h(
        'span',
        { class: `state state-${header.state.type.toLowerCase()}`, title: header.state.message ? `${header.state.name} — ${header.state.message.slice(0, STATE_TITLE_CHARS)}` : header.state.name },
        header.state.name,
        header.state.message ? ` — ${header.state.message.slice(0, STATE_LINE_CHARS)}` : '',
      ),
    ),
    ...fact('Attempt', String(header.attempt)),
    ...fact('Trigger', header.trigger),
    ...(header.tags !== undefined ? fact('Tags', header.tags) : []),
    ...fact('Duration', h('span', { class: 'duration' }, duration ?? '—')),
    ...fact('Started', header.startTime !== undefined ? formatStamp(header.startTime) : `created ${formatStamp(header.created)}`),
    ...fact('Ended', header.endTime !== undefined ? formatStamp(header.endTime) : '—'),
    ...(header.parent ? fact('Subflow of', h('button', { class: 'link', onClick: () => events.onOpenRun(header.parent!.id) }, header.parent.name)) : []),
    // What Resume… will ask, and until when the run waits for it.
    ...(header.pause ? fact('Waits for', `${header.pause.inputs.length > 0 ? header.pause.inputs.join(', ') : 'a resume (no input)'} — until ${formatStamp(header.pause.until)}`) : []),
    ...(header.inputs !== undefined ? fact('Inputs', header.inputs) : []),
    ...fact('Parameters', h('pre', { class: 'parameters' }, header.parameters)),
  );
  const enabled = ACTIONS.filter((a) => a.enabled(header));
  const primary = primaryAction(header);
  const actions = h(
    'div',
    // `data-set`: which buttons, and which stands out — the same set keeps its elements across redraws (main.ts).
    { class: 'actions', attrs: { role: 'toolbar', 'aria-label': 'Run actions', 'data-set': `${enabled.map((a) => a.action).join(' ')}/${primary ?? ''}` } },
    ...enabled.map((a) =>
      h('button', { class: `button ${a.action === primary ? 'primary' : 'secondary'}`, title: a.title, attrs: { 'data-action': a.action }, onClick: () => events.onAction(a.action) }, a.label),
    ),
  );
  const skipped = header.skippedRecords > 0 ? h('p', { class: 'muted' }, `${header.skippedRecords} unreadable line${header.skippedRecords === 1 ? ' was' : 's were'} skipped in this run's journal.`) : null;
  const deleted = header.deleted ? h('p', { class: 'muted deleted' }, 'This run was deleted from the run history: what is shown here was read before, and there is nothing left to do with it.') : null;
  const elsewhere = header.otherStore
    ? h('p', { class: 'muted deleted' }, 'This run is not in the run store now in use (the flowdeck.home or flowdeck.store setting changed): what is shown here was read before. It shows whole again once that store is in use.')
    : null;
  const notes = skipped || deleted || elsewhere ? h('div', { class: 'notes' }, skipped, deleted, elsewhere) : null;
  return h('header', { class: 'run-header' }, h('h1', null, `Run ${header.name}${header.deleted ? ' (deleted)' : header.otherStore ? ' (not in this store)' : ''}`), actions, facts, notes);
}

/** A message longer than this many lines or characters shows its start, the whole of it one click away. */
const MESSAGE_PREVIEW_LINES = 6;
const MESSAGE_PREVIEW_CHARS = 600;

/** The failure's message: whole when short, else its first lines and the whole in a closed disclosure. */
function messageParts(text: string): (HTMLElement | null)[] {
  const lines = text.split('\n');
  if (lines.length <= MESSAGE_PREVIEW_LINES && text.length <= MESSAGE_PREVIEW_CHARS) return [h('p', { class: 'failure-message' }, text)];
  const preview = lines.slice(0, MESSAGE_PREVIEW_LINES).join('\n').slice(0, MESSAGE_PREVIEW_CHARS);
  const count = lines.length > 1 ? `${lines.length.toLocaleString('en-US')} lines` : `${text.length.toLocaleString('en-US')} characters`;
  return [
    h('p', { class: 'failure-message' }, `${preview}…`),
    h('details', { class: 'failure-whole' }, h('summary', null, `The whole message (${count})`), h('pre', { class: 'failure-message' }, text)),
  ];
}

export function renderFailure(failure: FailureView, events: HeaderEvents): HTMLElement {
  const title = failure.name && failure.name !== 'Error' && !failure.message.startsWith(failure.name) ? `${failure.name}: ${failure.message}` : failure.message;
  return h(
    'section',
    { class: 'card failure', attrs: { role: 'alert', 'aria-labelledby': 'failure-title' } },
    failure.subflowRunId !== undefined
      ? h(
          'h2',
          { class: 'section-title', attrs: { id: 'failure-title' } },
          'Failed in subflow run ',
          h('button', { class: 'link subflow-run', title: "Open the subflow run's details", onClick: () => events.onOpenRun(failure.subflowRunId!) }, failure.subflowRunName ?? failure.subflowRunId),
        )
      : h('h2', { class: 'section-title', attrs: { id: 'failure-title' } }, failure.crashed ? 'Crashed' : failure.taskRunName ? `Failed in task run ${failure.taskRunName}` : 'Failed'),
    ...messageParts(title),
    failure.causes.length > 0 ? h('ol', { class: 'causes', attrs: { 'aria-label': 'Caused by' } }, ...failure.causes.map((c) => h('li', null, h('span', { class: 'muted' }, 'Caused by: '), c))) : null,
    failure.where
      ? h('p', null, 'At ', h('button', { class: 'link frame', title: 'Open the file at this line', onClick: () => events.onGoToFailure(failure.taskRunId) }, failure.where))
      : h('p', { class: 'muted' }, 'No line of your code is on its stack.'),
    failure.stack ? h('details', null, h('summary', null, 'Stack'), h('pre', { class: 'stack' }, failure.stack)) : null,
  );
}

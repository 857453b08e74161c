/**
 * What the run commands need to know about a flow, whichever way they are invoked: a tree item, a
 * CodeLens, the dashboard or the palette's picker all hand over a FlowRef.
 */
import type { DiscoveredFlow } from '../../engine/flowDiscovery';
import type { ParameterDeclarations } from '../../engine/parameters';
import type { FlowSource } from '../../engine/protocol';
import type { BuiltinFlow } from '../builtinFlows';

export interface FlowRef {
  /** Tells a FlowRef apart from other command arguments (CodeLens arguments are plain JSON). */
  readonly kind: 'flowdeck.flow';
  readonly source: FlowSource;
  readonly flowName: string;
  readonly description?: string;
  /** Undefined when the flow declares none or its declaration is not a literal. */
  readonly parameters?: ParameterDeclarations;
  /** Where a workspace flow's `flow(` call is, 1-based. */
  readonly location?: { readonly file: string; readonly line: number; readonly column: number };
}

export function builtinFlowRef(flow: BuiltinFlow): FlowRef {
  return { kind: 'flowdeck.flow', source: { kind: 'builtin', id: flow.id }, flowName: flow.name, description: flow.description, parameters: flow.parameters };
}

export function fileFlowRef(file: string, flow: DiscoveredFlow): FlowRef {
  const ref: FlowRef = {
    kind: 'flowdeck.flow',
    source: { kind: 'file', path: file },
    flowName: flow.name,
    location: { file, line: flow.line, column: flow.column },
    ...(flow.description === undefined ? {} : { description: flow.description }),
    ...(flow.parameters === undefined ? {} : { parameters: flow.parameters }),
  };
  return ref;
}

export function isFlowRef(value: unknown): value is FlowRef {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<FlowRef>;
  if (v.kind !== 'flowdeck.flow' || typeof v.flowName !== 'string' || typeof v.source !== 'object' || v.source === null) return false;
  return (v.source.kind === 'builtin' && typeof v.source.id === 'string') || (v.source.kind === 'file' && typeof v.source.path === 'string');
}

/** The source a stored run can be rerun from: `builtin:<id>` or the file path the run recorded. */
export function sourceOfRun(source: string): FlowSource {
  return source.startsWith('builtin:') ? { kind: 'builtin', id: source.slice('builtin:'.length) } : { kind: 'file', path: source };
}

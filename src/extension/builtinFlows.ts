/**
 * The built-in flows as the editor lists them: the flows' own registry, which never loads their bundles.
 */
import { BUILTIN_FLOWS as REGISTRY, type BuiltinFlowInfo } from '../flows/builtins';

export type BuiltinFlow = BuiltinFlowInfo;

export const BUILTIN_FLOWS: readonly BuiltinFlow[] = REGISTRY;

export function builtinFlow(id: string): BuiltinFlow | undefined {
  return BUILTIN_FLOWS.find((f) => f.id === id);
}

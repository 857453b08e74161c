/**
 * Loading a flow module in the worker: `'flowdeck'` resolves to the authoring API, flow sources compile
 * on the fly, and the module's exports are searched for the flow to run.
 */
import Module from 'node:module';
import { dirname } from 'node:path';
import * as api from '../api';
import { compileFile } from '../compileCache';
import { CompileError } from '../compiler';
import type { LoadRejection } from '../protocol';

export type AnyFlow = api.Flow<Record<string, unknown>, unknown>;

const ownDir = __dirname;

export function installModuleHooks(home: string): void {
  const proto = Module.prototype as unknown as { require(id: string): unknown };
  const originalRequire = proto.require;
  proto.require = function (this: unknown, id: string) {
    return id === 'flowdeck' ? api : originalRequire.call(this, id);
  };
  const extensions = (Module as unknown as { _extensions: Record<string, (m: { _compile(code: string, file: string): void }, file: string) => void> })._extensions;
  const jsLoader = extensions['.js']!;
  const compileHook = (m: { _compile(code: string, file: string): void }, file: string): void => m._compile(compileFile(file, home, 'cjs').code, file);
  for (const ext of ['.ts', '.mts', '.cts', '.tsx', '.mjs']) extensions[ext] = compileHook;
  // Workspace .js may be ESM syntax; packages and Flowdeck's own bundles load as they are.
  extensions['.js'] = (m, file) => (file.includes(`${'/'}node_modules${'/'}`) || file.startsWith(ownDir) ? jsLoader(m, file) : compileHook(m, file));
}

export class LoadError extends Error {
  constructor(
    readonly reason: LoadRejection,
    message: string,
  ) {
    super(message);
  }
}

function pickFlow(exports: Record<string, unknown>, where: string, flowName: string | undefined): { flow: AnyFlow; exportName: string } {
  const found: { flow: AnyFlow; exportName: string }[] = [];
  const seen = new Set<unknown>();
  const candidates: [string, unknown][] = [['default', exports.default], ...Object.entries(exports).filter(([k]) => k !== 'default')];
  for (const [exportName, value] of candidates) {
    if (api.isFlow(value) && !seen.has(value)) {
      seen.add(value);
      found.push({ flow: value, exportName });
    }
  }
  if (found.length === 0) throw new LoadError('no-flow', `${where} exports no flow; export one with \`export default flow({ name: '...' }, async () => { ... })\``);
  if (flowName !== undefined) {
    const match = found.find((f) => f.flow.options.name === flowName);
    if (!match) throw new LoadError('no-flow', `${where} has no flow named '${flowName}'; it has: ${found.map((f) => f.flow.options.name).join(', ')}`);
    return match;
  }
  if (found.length === 1) return found[0]!;
  const byDefault = found.find((f) => f.exportName === 'default');
  if (byDefault) return byDefault;
  throw new LoadError('no-flow', `${where} has ${found.length} flows (${found.map((f) => f.flow.options.name).join(', ')}); pick one with --flow NAME`);
}

export function loadFlow(modulePath: string, where: string, flowName: string | undefined): { flow: AnyFlow; exportName: string } {
  let exports: Record<string, unknown>;
  try {
    const req = Module.createRequire(`${dirname(modulePath)}/`);
    exports = req(modulePath) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof CompileError) throw new LoadError('compile', e.message);
    const err = e as NodeJS.ErrnoException;
    // Node lists the requiring file in every "Cannot find module" message: only the first line says what is missing.
    const firstLine = err.message.split('\n')[0] ?? '';
    if (err.code === 'MODULE_NOT_FOUND' && firstLine.includes(`'${modulePath}'`)) throw new LoadError('module', `Cannot find flow file ${where}`);
    if (err.code === 'MODULE_NOT_FOUND') {
      throw new LoadError('module', `Loading ${where} failed: ${firstLine}. Install the package in the workspace (npm install) or fix the import path.`);
    }
    const frame = err.stack?.split('\n').find((l) => l.includes(modulePath) || l.includes(where));
    throw new LoadError('module', `Loading ${where} failed: ${err.message}${frame ? ` (${frame.trim()})` : ''}`);
  }
  return pickFlow(exports, where, flowName);
}


import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { discoverFlows } from '../../src/engine/flowDiscovery';
import { freeFlowName, helloFlowSource, TYPES_FILE } from '../../src/extension/scaffold/helloFlow';

const DTS = join(__dirname, '..', '..', 'media', TYPES_FILE);

test('the scaffolded flow type-checks against media/flowdeck.d.ts with no tsconfig around', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowdeck-scaffold-'));
  try {
    const file = join(dir, 'hello.flow.ts');
    writeFileSync(file, helloFlowSource('hello'));
    copyFileSync(DTS, join(dir, TYPES_FILE));
    // Only the flow file is a root, as in the editor's inferred project: the reference brings in the types.
    const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(problems, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the scaffolded flow is found by discovery with its parameter and default', () => {
  const found = discoverFlows(helloFlowSource('hello-2'), '/ws/flows/hello-2.flow.ts');
  assert.deepEqual([found.error, found.problems], [undefined, []]);
  const [flow, ...rest] = found.flows;
  assert.equal(rest.length, 0);
  assert.equal(flow!.name, 'hello-2');
  assert.equal(flow!.exportName, 'default');
  assert.deepEqual(flow!.parameters, { name: { type: 'string', default: 'world', description: 'Who to greet' } });
});

test('flowdeck.d.ts declares every value the flowdeck module exports', () => {
  const dts = readFileSync(DTS, 'utf8');
  const api = readFileSync(join(__dirname, '..', '..', 'src', 'engine', 'api.ts'), 'utf8');
  const exported = [...api.matchAll(/^export (?:function|const) (\w+)/gm)].map((m) => m[1]!).filter((name) => name !== 'FLOW_MARK');
  assert.ok(exported.includes('flow') && exported.includes('getRunContext'));
  for (const name of exported) assert.match(dts, new RegExp(`export function ${name}\\b`), `${name} is missing from ${TYPES_FILE}`);
});

test('a taken name moves on to hello-2, hello-3…', () => {
  assert.deepEqual(freeFlowName(() => false), { fileName: 'hello.flow.ts', flowName: 'hello' });
  const taken = new Set(['hello.flow.ts', 'hello-2.flow.ts']);
  assert.deepEqual(freeFlowName((f) => taken.has(f)), { fileName: 'hello-3.flow.ts', flowName: 'hello-3' });
});

test('flowdeck.d.ts describes the same types as the engine API (no drift)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowdeck-dts-'));
  try {
    const api = join(__dirname, '..', '..', 'src', 'engine', 'api.ts').replace(/\.ts$/, '');
    const check = join(dir, 'check.ts');
    copyFileSync(DTS, join(dir, TYPES_FILE));
    // Mutual assignability of each public type: a field added, removed or retyped on either side fails.
    writeFileSync(
      check,
      `/// <reference path="./${TYPES_FILE}" />
import type * as declared from 'flowdeck';
import type * as real from ${JSON.stringify(api)};
type Mutual<X, Y> = [X] extends [Y] ? ([Y] extends [X] ? true : false) : false;
// Optional fields don't break assignability either way, so the key sets must match too.
type Same<X, Y> = Mutual<X, Y> extends true ? Mutual<keyof X, keyof Y> : false;
type Args = [number, string];
export const checks: {
  taskOptions: Same<declared.TaskOptions<Args>, real.TaskOptions<Args>>;
  flowOptions: Same<declared.FlowOptions, real.FlowOptions>;
  mapOptions: Same<declared.MapOptions, real.MapOptions>;
  hookInfo: Same<declared.HookInfo, real.HookInfo>;
  state: Same<declared.State, real.State>;
  parameter: Same<declared.ParameterDeclaration, real.ParameterDeclaration>;
  logger: Same<declared.RunLogger, real.RunLogger>;
  context: Same<declared.RunContext, real.RunContext>;
  retryDelay: Same<declared.RetryDelay, real.RetryDelay>;
  backoff: Same<typeof declared.exponentialBackoff, typeof real.exponentialBackoff>;
  taskFn: Same<ReturnType<typeof declared.task<Args, number>>, ReturnType<typeof real.task<Args, number>>>;
  flowParams: Same<Parameters<ReturnType<typeof declared.flow<{ a?: number }, string>>>, Parameters<ReturnType<typeof real.flow<{ a?: number }, string>>>>;
  flowResult: Same<ReturnType<ReturnType<typeof declared.flow<{ a?: number }, string>>>, ReturnType<ReturnType<typeof real.flow<{ a?: number }, string>>>>;
} = { taskOptions: true, flowOptions: true, mapOptions: true, hookInfo: true, state: true, parameter: true, logger: true, context: true, retryDelay: true, backoff: true, taskFn: true, flowParams: true, flowResult: true };
`,
    );
    const program = ts.createProgram([check], { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, types: ['node'], typeRoots: [join(__dirname, '..', '..', 'node_modules', '@types')] });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName === check)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(problems, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

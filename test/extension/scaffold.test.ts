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
  const [flow, ...rest] = discoverFlows(helloFlowSource('hello-2'), '/ws/flows/hello-2.flow.ts');
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

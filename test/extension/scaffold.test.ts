import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import * as api from '../../src/engine/api';
import { discoverFlows } from '../../src/engine/flowDiscovery';
import { CONFIG_FILE, flowsConfigSource, freeFlowName, helloFlowSource, TYPES_FILE } from '../../src/extension/scaffold/helloFlow';
import { refreshTypesCopies, staleTypesCopies, type TypesFs } from '../../src/extension/scaffold/typesRefresh';
import { TYPES_HEADER } from '../../src/engine/typesCopy';
import { DIST, ROOT } from '../support/engine';

/** The flowdeck.d.ts the build generated from the source: what "Create a Flow" copies and `flowdeck check` uses. */
const DTS = join(DIST, TYPES_FILE);
const T = { timeout: 120_000 };

/** Type-checks `files` as the editor would in a folder holding them, the generated types and the scaffold's tsconfig.json. */
function typeCheck(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'flowdeck-scaffold-'));
  try {
    copyFileSync(DTS, join(dir, TYPES_FILE));
    writeFileSync(join(dir, CONFIG_FILE), flowsConfigSource());
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const config = ts.getParsedCommandLineOfConfigFile(join(dir, CONFIG_FILE), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) })!;
    assert.deepEqual(config.errors, []);
    // No @types/node in a fresh workspace: only what the scaffold's own libs give.
    const program = ts.createProgram(config.fileNames, { ...config.options, types: [] });
    return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start!).line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the scaffolded flow type-checks with the generated flowdeck.d.ts and the tsconfig.json beside it, without a /// reference', T, () => {
  const source = helloFlowSource('hello');
  assert.ok(!source.includes('/// <reference'));
  assert.deepEqual(typeCheck({ 'hello.flow.ts': source }), []);
  // The check can fail: a type error in a flow is reported.
  assert.match(typeCheck({ 'bad.flow.ts': `import { task } from 'flowdeck';\nexport const t = task({ name: 't', retries: 'twice' }, () => 1);\n` }).join('\n'), /bad\.flow\.ts:2: Type 'string' is not assignable to type 'number'/);
});

test('a flow written against the API type-checks with the generated flowdeck.d.ts, and its mistakes do not (task.map arity, unmapped, options)', T, () => {
  // The same file `npm run typecheck` checks against the source; its @ts-expect-error lines must all be needed.
  assert.deepEqual(typeCheck({ 'authoring.ts': readFileSync(join(ROOT, 'test', 'types', 'authoring.ts'), 'utf8') }), []);
});

test("the generated flowdeck.d.ts exports what the 'flowdeck' module exports: its values, and the types of types.ts", T, () => {
  const program = ts.createProgram([DTS], { strict: true, noEmit: true, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] });
  assert.deepEqual(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), []);
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(DTS)!)!);
  const values = exports.filter((s) => s.flags & ts.SymbolFlags.Value).map((s) => s.name).sort();
  // What the worker hands a flow file for `import ... from 'flowdeck'`.
  assert.deepEqual(values, Object.keys(api).sort());
  assert.ok(values.includes('TimeoutError') && values.includes('CancelledError') && values.includes('unmapped'));
  const typesFile = ts.createSourceFile('types.ts', readFileSync(join(ROOT, 'src', 'engine', 'types.ts'), 'utf8'), ts.ScriptTarget.ES2022);
  const declared = typesFile.statements.filter((s) => (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
  const typeNames = exports.filter((s) => !(s.flags & ts.SymbolFlags.Value)).map((s) => s.name).sort();
  assert.deepEqual(typeNames, declared.map((s) => (s as ts.InterfaceDeclaration).name.text).sort());
});

test('api.ts and the worker do not import each other: only the module loader hands the API to flow files', () => {
  const workerDir = join(ROOT, 'src', 'engine', 'worker');
  const importers = readdirSync(workerDir).filter((f) => /from '\.\.\/api'/.test(readFileSync(join(workerDir, f), 'utf8')));
  assert.deepEqual(importers, ['loadFlow.ts']);
  assert.doesNotMatch(readFileSync(join(ROOT, 'src', 'engine', 'api.ts'), 'utf8'), /worker\/loadFlow|worker\/main/);
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

test('a taken name moves on to hello-2, hello-3…', () => {
  assert.deepEqual(freeFlowName(() => false), { fileName: 'hello.flow.ts', flowName: 'hello' });
  const taken = new Set(['hello.flow.ts', 'hello-2.flow.ts']);
  assert.deepEqual(freeFlowName((f) => taken.has(f)), { fileName: 'hello-3.flow.ts', flowName: 'hello-3' });
});

test("a flowdeck.d.ts copy of another Flowdeck version is brought up to this one's; this version's, the user's own file (no generated header) and a missing one are left alone", async () => {
  const own = readFileSync(DTS, 'utf8');
  assert.ok(own.startsWith(TYPES_HEADER), 'the build writes the header copies are known by');
  const files = new Map<string, string>([
    ['a/flows/flowdeck.d.ts', own.replace(/^export declare function suspendFlowRun\b[^\n]*\n/m, '')],
    ['b/flows/flowdeck.d.ts', own],
    ['c/flows/flowdeck.d.ts', `declare module 'flowdeck' { export const mine: 1; }\n`],
  ]);
  const writes: string[] = [];
  const fs: TypesFs = {
    read: async (path) => files.get(path),
    write: async (path, text) => {
      writes.push(path);
      files.set(path, text);
    },
  };
  // What the extension offers to update as it starts: found without a write.
  assert.deepEqual(await staleTypesCopies(own, ['a/flows/flowdeck.d.ts', 'b/flows/flowdeck.d.ts', 'c/flows/flowdeck.d.ts', 'd/flows/flowdeck.d.ts'], fs), ['a/flows/flowdeck.d.ts']);
  assert.deepEqual(writes, []);
  const replaced = await refreshTypesCopies(own, ['a/flows/flowdeck.d.ts', 'b/flows/flowdeck.d.ts', 'c/flows/flowdeck.d.ts', 'd/flows/flowdeck.d.ts'], fs);
  assert.deepEqual(replaced, ['a/flows/flowdeck.d.ts']);
  assert.deepEqual(writes, ['a/flows/flowdeck.d.ts']);
  assert.equal(files.get('a/flows/flowdeck.d.ts'), own);
  assert.equal(files.get('c/flows/flowdeck.d.ts'), `declare module 'flowdeck' { export const mine: 1; }\n`);
  assert.equal(files.has('d/flows/flowdeck.d.ts'), false);
  // Once up to date, nothing more is written.
  assert.deepEqual(await refreshTypesCopies(own, ['a/flows/flowdeck.d.ts'], fs), []);
});

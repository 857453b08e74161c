import assert from 'node:assert/strict';
import fs, { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, mock } from 'node:test';
import { discoverFile, discoverFlows, type FileFlows } from '../../src/engine/flowDiscovery';
import { MAX_SCAN_BYTES } from '../../src/engine/scanLimit';
import { tempDir } from '../support/engine';
import { FLOW_FIXTURES } from '../support/fixtures';

const T = 30_000;

const fixture = (name: string): FileFlows => discoverFile(join(FLOW_FIXTURES, 'discovery', name));
const listed = (f: FileFlows): [string, string, number][] => f.flows.map((x) => [x.name, x.exportName, x.line]);

describe('flow discovery', () => {
  it('lists the exported flows of an ES module with their literal options, export names and lines; a subflow that is not exported is named apart', { timeout: T }, () => {
    const found = fixture('esm-exports.flow.ts');
    assert.equal(found.error, undefined);
    assert.deepEqual(listed(found), [
      ['main-flow', 'default', 7],
      ['second', 'renamed', 9],
      ['third', 'third', 12],
      ['uses-subflow', 'usesSubflow', 15],
    ]);
    assert.deepEqual(found.flows[0]!.parameters, { repo: { type: 'string', default: 'a/b' } });
    assert.equal(found.flows[0]!.description, 'Main');
    assert.equal(found.flows[2]!.parameters, undefined, 'a declaration that is not a literal is not guessed');
    assert.deepEqual(found.problems, []);
    assert.deepEqual(found.subflows, ['not-exported']);
  });

  it("reads a flow's literal tags; tags that are not a literal list of tags are not guessed", { timeout: T }, () => {
    const found = discoverFlows(
      `import { flow } from 'flowdeck';
const extra = ['x'];
export const a = flow({ name: 'a', tags: ['etl', 'team:data'] }, async () => 1);
export const b = flow({ name: 'b', tags: extra }, async () => 1);
export const c = flow({ name: 'c', tags: ['has space'] }, async () => 1);
`,
      '/ws/t.flow.ts',
    );
    assert.deepEqual(found.flows.map((f) => [f.name, f.tags]), [['a', ['etl', 'team:data']], ['b', undefined], ['c', undefined]]);
  });

  it('follows local bindings to `export default f` and `export { g }`', { timeout: T }, () => {
    assert.deepEqual(listed(fixture('default-binding.flow.mts')), [
      ['bound-default', 'default', 3],
      ['bound-named', 'g', 4],
    ]);
  });

  it('lists CommonJS flows: exports.x =, module.exports.x =, exports[...] = binding, module.exports = { ... } and module.exports = flow(...)', { timeout: T }, () => {
    assert.deepEqual(listed(fixture('cjs-exports.flow.js')), [
      ['via-exports', 'viaExports', 4],
      ['via-module-exports', 'viaModuleExports', 5],
      ['bound-later', 'quoted', 6],
    ]);
    assert.deepEqual(listed(fixture('cjs-object.flow.js')), [
      ['one', 'one', 3],
      ['two', 'two', 4],
    ]);
    assert.deepEqual(listed(fixture('cjs-default.flow.js')), [['whole-module', 'default', 3]]);
  });

  it('says why a flow whose name is not a literal is not listed, instead of skipping it', { timeout: T }, () => {
    const found = fixture('dynamic-name.flow.ts');
    assert.deepEqual(listed(found), [['listed', 'listed', 5]]);
    assert.deepEqual(found.problems, [{ line: 7, column: 24, message: "flow at line 7: its name is not a literal string, so it can't be listed; write name: 'my-flow'" }]);
  });

  it('makes two flows with one name an error naming both lines, and lists nothing from the file', { timeout: T }, () => {
    const found = fixture('duplicate.flow.ts');
    assert.deepEqual(found.flows, []);
    assert.deepEqual(found.error, { kind: 'duplicate', line: 7, column: 18, message: "flows at lines 3 and 7 are both named 'same-name'; give each flow a name of its own" });
  });

  it("makes a literal parameter declaration flow() refuses an error at its line, as the run's, never handed on as a declaration", { timeout: T }, () => {
    const source = (parameters: string): string => `import { flow } from 'flowdeck';\nexport const ok = flow({ name: 'ok' }, async () => 1);\nexport default flow({\n  name: 'p',\n  parameters: ${parameters},\n}, async () => 1);\n`;
    const cases: [string, string][] = [
      ['{ s: null }', "flow 'p': parameter 's' must be declared as { type, default?, description? }"],
      ["{ s: 'string' }", "flow 'p': parameter 's' must be declared as { type, default?, description? }"],
      ["{ s: { type: 'strng' } }", `flow 'p': parameter 's' has type "strng", which is not a parameter type; the types are string, number, integer, boolean, object, array`],
      ["{ n: { type: 'number', default: '5' } }", `flow 'p': parameter 'n' has a default that does not fit its declaration: 'n' must be a number, got the string "5"`],
    ];
    for (const [parameters, message] of cases) {
      const found = discoverFlows(source(parameters), '/ws/p.flow.ts');
      assert.deepEqual(found.flows, [], parameters);
      assert.deepEqual(found.error, { kind: 'parameters', line: 5, column: 3, message });
    }
    const fine = discoverFlows(source("{ n: { type: 'number', default: 5 } }"), '/ws/p.flow.ts');
    assert.equal(fine.error, undefined);
    assert.deepEqual(fine.flows[1]!.parameters, { n: { type: 'number', default: 5 } });
  });

  it('says a flow whose name holds a control character is not listed (flow() refuses it)', { timeout: T }, () => {
    const found = discoverFlows(`import { flow } from 'flowdeck';\nexport const a = flow({ name: 'line\\nbreak' }, async () => 1);\nexport const b = flow({ name: 'fine' }, async () => 2);\n`, '/ws/n.flow.ts');
    assert.deepEqual(listed(found), [['fine', 'b', 3]]);
    assert.deepEqual(found.problems, [{ line: 2, column: 18, message: 'flow at line 2: its name "line\\nbreak" holds a control character (a line break?), which flow() refuses; write it on one line' }]);
  });

  it('refuses a file with a flow named longer than 200 characters, exported or not (flow() throws as the file loads: none of its flows could run)', { timeout: T }, () => {
    for (const exported of ['export const a = ', 'const a = ']) {
      const found = discoverFlows(`import { flow } from 'flowdeck';\nexport const b = flow({ name: 'fine' }, async () => 1);\n${exported}flow({ name: '${'a'.repeat(201)}' }, async () => 2);\n`, '/ws/n.flow.ts');
      assert.deepEqual([found.flows, found.problems], [[], []]);
      assert.deepEqual(found.error, { kind: 'name', message: 'flow at line 3: its name is 201 characters, more than the 200 a name may have; give it a shorter one', line: 3, column: exported.length + 1 });
    }
    assert.deepEqual(listed(discoverFlows(`import { flow } from 'flowdeck';\nexport const b = flow({ name: '${'b'.repeat(200)}' }, async () => 1);\n`, '/ws/n.flow.ts')), [['b'.repeat(200), 'b', 2]]);
  });

  it('ignores flow() calls that do not come from flowdeck', { timeout: T }, () => {
    const found = discoverFlows(`const flow = (o: object) => o;\nexport default flow({ name: 'x' });\n`, '/ws/y.flow.ts');
    assert.deepEqual([found.flows, found.problems, found.error], [[], [], undefined]);
  });

  it('lists a file over the size limit as too large, with its size and the limit, without reading it', { timeout: T }, () => {
    const dir = tempDir();
    const file = join(dir, 'big.flow.ts');
    writeFileSync(file, `import { flow } from 'flowdeck';\nexport default flow({ name: 'big' }, async () => 1);\n${'// padding\n'.repeat(1_100_000)}`);
    const found = discoverFile(file);
    assert.deepEqual(found.flows, []);
    assert.equal(found.error?.kind, 'too-large');
    assert.equal(found.error?.message, 'too large to scan for flows: 11.5 MiB, over the 1.0 MiB limit');
    assert.equal(discoverFlows('x'.repeat(MAX_SCAN_BYTES + 1), file).error?.kind, 'too-large');
  });

  it('reads a file of exactly the size limit whole and lists one a byte over it as too large', { timeout: T }, () => {
    const dir = tempDir();
    const source = `import { flow } from 'flowdeck';\nexport default flow({ name: 'at-limit' }, async () => 1);\n`;
    const padded = (bytes: number): string => source + '/'.repeat(bytes - source.length - 1) + '\n';
    const at = join(dir, 'at.flow.ts');
    writeFileSync(at, padded(MAX_SCAN_BYTES));
    assert.equal(fs.statSync(at).size, MAX_SCAN_BYTES);
    const found = discoverFile(at);
    assert.equal(found.error, undefined);
    assert.deepEqual(listed(found), [['at-limit', 'default', 2]]);
    const over = join(dir, 'over.flow.ts');
    writeFileSync(over, padded(MAX_SCAN_BYTES + 1));
    assert.equal(discoverFile(over).error?.message, 'too large to scan for flows: 1.0 MiB, over the 1.0 MiB limit');
  });

  it("reads a small file into a buffer of its size, not the limit's; one that grows as it is read is read on up to the limit", { timeout: T }, () => {
    const dir = tempDir();
    const source = `import { flow } from 'flowdeck';\nexport default flow({ name: 'small' }, async () => 1);\n`;
    const file = join(dir, 'small.flow.ts');
    writeFileSync(file, source);
    const buffers: number[] = [];
    const read = fs.readSync;
    let grow: string | undefined;
    const spy = mock.method(fs, 'readSync', (fd: number, buffer: Buffer, offset: number, length: number, position: null) => {
      buffers.push(buffer.length);
      if (grow !== undefined) appendFileSync(file, grow);
      grow = undefined;
      return read(fd, buffer, offset, length, position);
    });
    try {
      const found = discoverFile(file);
      assert.deepEqual(listed(found), [['small', 'default', 2]]);
      assert.ok(Math.max(...buffers) <= source.length + 1, `read into buffers of ${buffers.join(', ')} bytes for a file of ${source.length}`);

      // Grown between the stat and the read: read whole all the same (a flow added at its end is listed)...
      writeFileSync(file, source);
      grow = `${'// more\n'.repeat(1000)}export const later = flow({ name: 'added' }, async () => 2);\n`;
      assert.deepEqual(listed(discoverFile(file)).map(([name]) => name), ['small', 'added']);
      // ...and past the limit: too large, as a file that size is.
      writeFileSync(file, source);
      grow = '/'.repeat(MAX_SCAN_BYTES);
      assert.equal(discoverFile(file).error?.kind, 'too-large');
    } finally {
      spy.mock.restore();
    }
  });
});

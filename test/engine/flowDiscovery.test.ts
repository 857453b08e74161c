import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompileError } from '../../src/engine/compiler';
import { discoverFlows } from '../../src/engine/flowDiscovery';

const source = `
import { flow as makeFlow, task } from 'flowdeck';
import * as fd from 'flowdeck';
const helper = task({ name: 't' }, async () => 1);
type P = { repo?: string };
export default makeFlow({ name: 'main-flow', description: 'Main', parameters: { repo: { type: 'string', default: 'a/b' } } }, async ({ repo = 'a/b' }: P) => repo);
const second = fd.flow({ name: 'second', timeoutSeconds: 5 }, async () => 2);
export { second as renamed };
const hidden = makeFlow({ name: 'not-exported' }, async () => 3);
export const dynamic = makeFlow({ name: \`tmpl\`, parameters: someVariable }, async () => 4);
`;

describe('flow discovery', () => {
  it('finds flows, their literal options, export names and lines without running the file', () => {
    const flows = discoverFlows(source, '/ws/x.flow.ts');
    assert.deepEqual(
      flows.map((f) => [f.name, f.exportName, f.line]),
      [
        ['main-flow', 'default', 6],
        ['second', 'renamed', 7],
        ['not-exported', undefined, 9],
        ['tmpl', 'dynamic', 10],
      ],
    );
    assert.deepEqual(flows[0]!.parameters, { repo: { type: 'string', default: 'a/b' } });
    assert.equal(flows[0]!.description, 'Main');
    assert.equal(flows[3]!.parameters, undefined);
  });

  it('ignores files that do not import flowdeck', () => {
    assert.deepEqual(discoverFlows(`const flow = (o: object) => o; flow({ name: 'x' });`, '/ws/y.flow.ts'), []);
  });

  it('reports syntax errors with the line and column of the source', () => {
    const bad = `import { flow } from 'flowdeck';\n\nexport default flow({ name: 'x' }, async () => {\n  const = 1;\n});\n`;
    assert.throws(() => discoverFlows(bad, '/ws/bad.flow.ts'), (e: unknown) => e instanceof CompileError && e.line === 4 && e.message.startsWith('/ws/bad.flow.ts:4:'));
  });
});

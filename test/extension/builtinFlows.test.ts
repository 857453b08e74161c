import { test } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';
import { join } from 'node:path';
import * as api from '../../src/engine/api';
import { BUILTIN_FLOWS, builtinFlow } from '../../src/extension/builtinFlows';
import { BUILTIN_FLOW_IDS } from '../../src/webview/protocol';
import { DIST } from '../support/engine';

test('the static registry lists the built-in flows the dashboard knows', () => {
  assert.deepEqual(BUILTIN_FLOWS.map((f) => f.id), [...BUILTIN_FLOW_IDS]);
});

/**
 * The editor lists the built-ins from a static registry (it never loads their bundles); the worker runs
 * the bundles in dist/flows. Here the built bundles themselves are loaded, as the worker loads them
 * ('flowdeck' resolving to the authoring API), and must declare what the editor shows.
 */
test("the built bundles the worker runs declare the names, descriptions and parameters the editor lists", () => {
  const proto = Module.prototype as unknown as { require(id: string): unknown };
  const original = proto.require;
  proto.require = function (this: unknown, id: string) {
    return id === 'flowdeck' ? api : original.call(this, id);
  };
  try {
    for (const entry of BUILTIN_FLOWS) {
      const bundle = join(DIST, 'flows', `${entry.id}.js`);
      const exports = Module.createRequire(bundle)(bundle) as { default?: unknown };
      const flow = exports.default;
      assert.ok(api.isFlow(flow), `${bundle} exports a flow by default`);
      assert.equal(flow.options.name, entry.name, entry.id);
      assert.equal(flow.options.description, entry.description, entry.id);
      assert.deepEqual(JSON.parse(JSON.stringify(flow.options.parameters)), JSON.parse(JSON.stringify(entry.parameters)), entry.id);
    }
  } finally {
    proto.require = original;
  }
});

test('a built-in flow is found by its id only', () => {
  assert.equal(builtinFlow('github-repo-stats')?.name, 'github-repo-stats');
  assert.equal(builtinFlow('nope'), undefined);
});

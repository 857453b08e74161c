import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { importHint } from '../../src/engine/importHint';
import { copyPath, keepCopy, keptCopy, relocatableModule } from '../../src/engine/worker/directImport';
import { tempDir } from '../support/engine';

const API = 'data:text/javascript,api';
const FILE = '/work/flows/my flow.ts';

describe('a flow module imported without the module hooks', { timeout: 60_000 }, () => {
  it("points 'flowdeck' at the API module and leaves built-ins and everything else as written", () => {
    const code = `import { flow } from 'flowdeck';\nimport { join } from "node:path";\nimport fs from 'fs';\nexport * from 'flowdeck';\nconst s = 'flowdeck';\nexport default flow({ name: s }, async () => join('a', fs.name));\n`;
    assert.equal(
      relocatableModule(code, FILE, API),
      `import { flow } from '${API}';\nimport { join } from "node:path";\nimport fs from 'fs';\nexport * from '${API}';\nconst s = 'flowdeck';\nexport default flow({ name: s }, async () => join('a', fs.name));\n`,
    );
  });

  it("says import.meta's url, filename and dirname are the flow file's, on the first line so no line moves", () => {
    const code = `import { flow } from 'flowdeck';\nexport const here = [import.meta.url, import.meta.filename, import.meta . dirname];\n`;
    const out = relocatableModule(code, FILE, API)!;
    const [first, ...rest] = out.split('\n');
    assert.equal(rest.length, code.split('\n').length - 1);
    assert.ok(first!.startsWith('import.meta.url = "file:///work/flows/my%20flow.ts"; import.meta.filename = "/work/flows/my flow.ts"; import.meta.dirname = "/work/flows"; '), first);
    assert.ok(first!.endsWith(`import { flow } from '${API}';`), first);
  });

  it('keeps a hashbang first', () => {
    const out = relocatableModule(`#!/usr/bin/env node\nexport const here = import.meta.url;\n`, FILE, API)!;
    assert.match(out, /^#!\/usr\/bin\/env node\nimport\.meta\.url = "file:\/\/\/work\/flows\/my%20flow\.ts"; .*export const here = import\.meta\.url;\n$/);
  });

  it('needs the hooks for relative imports, packages, import(), import.meta.resolve, import attributes and unparsable code', () => {
    for (const code of [
      `import { flow } from 'flowdeck';\nimport { helper } from './helper';\n`,
      `import pLimit from 'p-limit';\n`,
      `export { x } from '../x.js';\n`,
      `const m = await import('node:path');\n`,
      `const u = import.meta.resolve('./x');\n`,
      `const meta = import.meta;\n`,
      `import data from 'node:fs' with { type: 'json' };\n`,
      `import { flow } from 'flowdeck';\nexport default flow({ name: 'x' }, async () => { return 1 ;\n`,
    ]) {
      assert.equal(relocatableModule(code, FILE, API), undefined, code);
    }
  });

  it('keeps the copy in the store, private to the user, found again only whole and only for the same file, content, compiler and API', () => {
    const home = tempDir();
    const source = 'export const a: number = 1;\n';
    const path = copyPath(home, FILE, source, 'esbuild@1', API);
    assert.ok(path.startsWith(join(home, 'compiled')), path);
    assert.equal(keptCopy(path), undefined, 'nothing kept yet');
    const url = keepCopy(path, 'export const a = 1;\n')!;
    assert.equal(new URL(url).pathname, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'compiled')).mode & 0o777, 0o700);
    assert.ok(readFileSync(path, 'utf8').startsWith('export const a = 1;\n\n// flowdeck-direct '), 'the seal is a line after the module: no line of it moves');
    assert.equal(keptCopy(path), url);
    for (const other of [
      copyPath(home, FILE, 'export const a: number = 2;\n', 'esbuild@1', API),
      copyPath(home, '/work/flows/other.ts', source, 'esbuild@1', API),
      copyPath(home, FILE, source, 'sucrase@1', API),
      copyPath(home, FILE, source, 'esbuild@1', `${API}2`),
    ]) {
      assert.notEqual(other, path);
    }
    writeFileSync(path, readFileSync(path, 'utf8').replace('a = 1', 'a = 2'));
    assert.equal(keptCopy(path), undefined, 'an edited copy is made again');
    keepCopy(path, 'export const a = 1;\n');
    truncateSync(path, 10);
    assert.equal(keptCopy(path), undefined, 'a copy cut short is made again');
    truncateSync(path, 0);
    assert.equal(keptCopy(path), undefined, 'an emptied copy is made again');
  });
});

describe("the worker's guess at whether a flow file needs the module hooks", { timeout: 60_000 }, () => {
  it("needs none for 'flowdeck' and built-ins only, and needs them for anything else", () => {
    assert.equal(importHint(`import { flow, task } from 'flowdeck';\nimport { readFile } from "node:fs/promises";\nimport os from 'os';\n`), 'no-hooks');
    assert.equal(importHint(`const { flow } = require('flowdeck');\n`), 'no-hooks');
    assert.equal(importHint(`import { flow } from 'flowdeck';\nimport { Octokit } from '@octokit/rest';\n`), 'hooks');
    assert.equal(importHint(`import { flow } from 'flowdeck';\nimport { helper } from './helper';\n`), 'hooks');
    assert.equal(importHint(`import 'node:fs';\nconst m = await import('node:path');\n`), 'hooks');
    assert.equal(importHint(`const here = import.meta.resolve('./x');\n`), 'hooks');
  });
});

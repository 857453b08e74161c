/**
 * Whether a workspace file loads as an ES module or as CommonJS. `.mts`/`.mjs` are ES modules and
 * `.cts`/`.cjs` CommonJS, as in Node. A `.ts` or `.js` file is an ES module when it has module syntax
 * (`import`/`export` statements, `import.meta`) or its nearest package.json says `"type": "module"`, and
 * CommonJS otherwise: the syntax detection Node 22 applies to `.js`, extended to `.ts` and to packages
 * that say `"type": "commonjs"`, because a flow written with `import` means an ES module whatever the
 * package.json that `npm init` wrote says.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type ModuleFormat = 'module' | 'commonjs';

const packageTypes = new Map<string, string | undefined>();

/** The `type` of the package.json nearest to `dir`, as Node finds it. */
function packageType(dir: string): string | undefined {
  if (packageTypes.has(dir)) return packageTypes.get(dir);
  let type: string | undefined;
  let found = false;
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: unknown };
    found = true;
    type = typeof pkg.type === 'string' ? pkg.type : undefined;
  } catch (e) {
    // Unreadable or malformed: Node would stop here and fail; a flow file's format needs no more.
    found = (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  const parent = dirname(dir);
  if (!found && parent !== dir) type = packageType(parent);
  packageTypes.set(dir, type);
  return type;
}

export function moduleFormat(file: string, moduleSyntax: boolean): ModuleFormat {
  if (/\.m[jt]sx?$/.test(file)) return 'module';
  if (/\.c[jt]sx?$/.test(file)) return 'commonjs';
  if (moduleSyntax) return 'module';
  return packageType(dirname(file)) === 'module' ? 'module' : 'commonjs';
}

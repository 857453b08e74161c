/**
 * Compiled flow sources, cached under `<home>/compiled` by a hash of the compiler, the output format, the
 * path and the content. Each cache file starts with a header holding the hash of the code after it, so a
 * file that is empty, truncated or edited is compiled again instead of being loaded.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as lexModule } from 'es-module-lexer';
import { writeCompiledFile } from './compiledFile';
import { transpiler, type OutputFormat } from './compiler';
import { readTextFile } from './readTextFile';

export interface CompiledFile {
  code: string;
  /** The code has `import`/`export` statements or `import.meta`: by its syntax, an ES module. */
  moduleSyntax: boolean;
}

const HEADER = /^\/\/ flowdeck-compiled (esm|cjs) ([0-9a-f]{64})\n/;

function sha256(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p).update('\0');
  return hash.digest('hex');
}

function hasModuleSyntax(code: string): boolean {
  try {
    return lexModule(code)[3];
  } catch {
    // The lexer gave up on the code; Node's own module parser will say what is wrong with it.
    return /^\s*(import|export)\b/m.test(code);
  }
}

function readVerified(path: string): CompiledFile | undefined {
  const text = readTextFile(path);
  if (text === undefined) return undefined;
  const header = HEADER.exec(text);
  if (!header) return undefined;
  const code = text.slice(header[0].length);
  return sha256(code) === header[2] ? { code, moduleSyntax: header[1] === 'esm' } : undefined;
}

/** `writeCompiledFile`, unless `path` already holds `text`. False when the store cannot keep it. */
export function keepCompiledFile(dir: string, path: string, text: string): boolean {
  return readTextFile(path) === text || writeCompiledFile(dir, path, text);
}

function write(dir: string, path: string, compiled: CompiledFile): void {
  // A store that cannot keep it only costs a compile next time.
  writeCompiledFile(dir, path, `// flowdeck-compiled ${compiled.moduleSyntax ? 'esm' : 'cjs'} ${sha256(compiled.code)}\n${compiled.code}`);
}

/**
 * `file` compiled to `output`, from `<home>/compiled` when the same compiler has compiled the same
 * content at the same path before. No `home`, no cache.
 */
export function compileFile(file: string, home: string, output: OutputFormat, source = readFileSync(file, 'utf8')): CompiledFile {
  const t = transpiler();
  const dir = join(home, 'compiled');
  const path = join(dir, `${sha256(t.id, output, file, source).slice(0, 40)}.js`);
  const cached = home ? readVerified(path) : undefined;
  if (cached) return cached;
  const code = t.transform(source, file, output);
  const compiled = { code, moduleSyntax: output === 'preserve' && hasModuleSyntax(code) };
  if (home) write(dir, path, compiled);
  return compiled;
}

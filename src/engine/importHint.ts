/**
 * A guess, from a flow file's text, at whether loading it will need Node's module hooks (directImport.ts
 * says exactly, once the file is compiled): it does when it imports anything but 'flowdeck' and Node's
 * built-ins. A worker forked before its flow is loaded readies itself by this guess; a wrong one costs
 * time, never correctness.
 */
import { isBuiltin } from 'node:module';
import type { Ahead } from './workerFork';

const SPECIFIER = /(?:\bfrom|\bimport)\s*(\()?\s*(['"])([^'"\n]*)\2/g;

export function importHint(source: string): Ahead {
  if (/\bimport\s*\.\s*meta\s*\.\s*resolve\b/.test(source)) return 'hooks';
  for (const m of source.matchAll(SPECIFIER)) {
    if (m[1] !== undefined) return 'hooks';
    const specifier = m[3]!;
    if (specifier !== 'flowdeck' && !isBuiltin(specifier)) return 'hooks';
  }
  return 'no-hooks';
}

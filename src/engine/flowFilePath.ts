/** A flow file named by its path, checked as every command that takes one checks it, in the same words. */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { BadInputError } from './runRequest';

/** The absolute path of a flow file that is there and is a file (after a link); else a BadInputError saying which. */
export function checkedFlowFile(path: string): string {
  const file = resolve(path);
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new BadInputError('missing-file', `Flow file not found: ${file}`);
  }
  if (!isFile) throw new BadInputError('missing-file', `Not a file: ${file}; pass a flow file (*.flow.ts) or a built-in flow id`);
  return file;
}

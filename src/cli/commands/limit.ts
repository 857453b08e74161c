import { LIMIT_TAG, MAX_LIMIT } from '../../engine/limits/limitStore';
import { parseCommandArgs } from '../args';
import { openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';

export const LIMIT_HELP = `Usage: flowdeck limit set <tag> <n>
       flowdeck limit ls [--json]
       flowdeck limit rm <tag>

Concurrency limits by tag: at most n task runs whose tags include <tag> run at once, across every
process sharing the store (CLI runs, \`flowdeck serve\`, workers, editor windows; on Postgres, every
machine). The others wait in state AwaitingConcurrencySlot until a slot is free; a slot held by a process
that died is free at once (on Postgres, once its lease lapses).
The built-in flows tag their API tasks github-api and youtube-api.

Examples:
  flowdeck limit set github-api 2
  flowdeck limit ls`;

export async function limitCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('limit', argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    write(values.help ? io.stdout : io.stderr, LIMIT_HELP);
    return values.help ? EXIT.ok : EXIT.badInput;
  }
  switch (action) {
    case 'set': {
      if (rest.length !== 2) throw new UsageError(`limit set takes a tag and a number, like \`flowdeck limit set github-api 2\``);
      const [tag, text] = rest as [string, string];
      if (!LIMIT_TAG.test(tag)) throw new UsageError(`'${tag}' cannot be limited: a tag to limit is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit`);
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < 1 || n > MAX_LIMIT) throw new UsageError(`the limit must be a whole number from 1 to ${MAX_LIMIT}, got '${text}'`);
      const store = await openStore(io);
      try {
        await store.limits.set(tag, n);
      } finally {
        await store.close();
      }
      write(io.stdout, `At most ${n} task run${n === 1 ? '' : 's'} tagged '${tag}' at once.`);
      return EXIT.ok;
    }
    case 'rm': {
      if (rest.length !== 1) throw new UsageError('limit rm takes one tag');
      const store = await openStore(io);
      try {
        if (!(await store.limits.remove(rest[0]!))) {
          write(io.stderr, `flowdeck: no concurrency limit on tag '${rest[0]}' (see \`flowdeck limit ls\`)`);
          return EXIT.badInput;
        }
      } finally {
        await store.close();
      }
      write(io.stdout, `Removed the concurrency limit on '${rest[0]}'.`);
      return EXIT.ok;
    }
    case 'ls': {
      if (rest.length !== 0) throw new UsageError('limit ls takes no arguments');
      const store = await openStore(io, 'read');
      try {
        const limits = await Promise.all((await store.limits.list()).map(async (l) => ({ ...l, active: (await store.limits.leases(l.tag)).length })));
        if (values.json) write(io.stdout, JSON.stringify(limits, null, 2));
        else if (limits.length === 0) write(io.stdout, 'No concurrency limits. Set one with `flowdeck limit set <tag> <n>`.');
        else for (const l of limits) write(io.stdout, `${l.tag}  ${l.active}/${l.limit} in use`);
      } finally {
        await store.close();
      }
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown limit action '${action}'\n\n${LIMIT_HELP}`);
  }
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discoverFlows } from '../../src/engine/flowDiscovery';
import { declaredEntries } from '../../src/engine/schedules/scheduleEntries';

const file = '/ws/stats.flow.ts';

test('schedules in flow options are read without running the file: one, or a list with parameters', async () => {
  const found = discoverFlows(
    `import { flow } from 'flowdeck';
export const daily = flow({ name: 'daily-stats', schedule: { cron: '0 9 * * *', timezone: 'Europe/Madrid' }, resumeOnCrash: true, tags: ['daily'] }, async () => 1);
export const poll = flow(
  {
    name: 'poll',
    parameters: { full: { type: 'boolean', default: false } },
    schedule: [{ intervalSeconds: 900 }, { cron: '0 0 * * 1', parameters: { full: true }, overlap: 'queue', catchup: 'none', tags: ['weekly-full'] }],
  },
  async (p: { full?: boolean }) => p.full,
);
export default flow({ name: 'plain' }, async () => 0);
`,
    file,
  );
  assert.equal(found.error, undefined);
  const byName = new Map(found.flows.map((f) => [f.name, f]));
  assert.deepEqual(byName.get('daily-stats')?.schedules, [{ cron: '0 9 * * *', timezone: 'Europe/Madrid' }]);
  assert.equal(byName.get('daily-stats')?.resumeOnCrash, true);
  assert.deepEqual(byName.get('daily-stats')?.tags, ['daily']);
  assert.deepEqual((await declaredEntries([found])).map((e) => [e.flowName, e.tags]), [['daily-stats', ['daily']], ['poll', undefined], ['poll', undefined]], "a schedule's runs carry its flow's tags");
  assert.equal(byName.get('daily-stats')?.scheduleLine, 2);
  // Declared defaults are filled in, as a run would get them.
  assert.deepEqual(byName.get('poll')?.schedules, [{ intervalSeconds: 900 }, { cron: '0 0 * * 1', parameters: { full: true }, overlap: 'queue', catchup: 'none', tags: ['weekly-full'] }]);
  assert.equal(byName.get('poll')?.scheduleLine, 7);
  assert.equal(byName.get('plain')?.schedules, undefined);
});

test('an invalid schedule is reported like a parse error, on its line', () => {
  const source = `import { flow } from 'flowdeck';

export default flow({
  name: 'broken',
  schedule: { cron: '0 25 * * *' },
}, async () => 1);
`;
  const found = discoverFlows(source, file);
  assert.deepEqual(found.flows, []);
  assert.equal(found.error?.kind, 'schedule');
  assert.equal(found.error?.line, 5);
  assert.equal(found.error?.column, 3);
  assert.match(found.error!.message, /^flow 'broken': schedule: cron '0 25 \* \* \*' is not valid: Invalid value for hour: 25$/);
});

test('schedule errors name the schedule and what is wrong: parameters, timezone, a second schedule, a value that is not a literal', () => {
  // Line 1 imports, line 2 defines SCHEDULE and fn, line 3 starts the flow call.
  const cases: [string, RegExp, number][] = [
    [`flow({ name: 'f', parameters: { n: { type: 'number' } }, schedule: { intervalSeconds: 60, parameters: { n: 'x' } } }, fn)`, /flow 'f': schedule: Invalid parameters for flow 'f': 'n' must be a number/, 3],
    [`flow({ name: 'f', schedule: { cron: '0 9 * * *', timezone: 'Europe/Madird' } }, fn)`, /timezone "Europe\/Madird" is not an IANA timezone/, 3],
    [`flow({ name: 'f',\n  schedule: [{ intervalSeconds: 60 }, { every: '5m' }] }, fn)`, /schedule 2: unknown schedule field 'every'/, 4],
    [`flow({ name: 'f', schedule: SCHEDULE }, fn)`, /schedule must be written out as a literal/, 3],
    [`flow({ name: 'f', schedule: [] }, fn)`, /lists 0 schedules/, 3],
    [`flow({ name: 'f', schedule: { intervalSeconds: 60, tags: ['ok', 'not ok'] } }, fn)`, /schedule: tags holds 'not ok': a tag is 1 to 64 letters/, 3],
  ];
  for (const [call, message, line] of cases) {
    const found = discoverFlows(`import { flow } from 'flowdeck';\nconst SCHEDULE = { intervalSeconds: 5 }; const fn = async () => 1;\nexport default ${call};\n`, file);
    assert.equal(found.error?.kind, 'schedule', call);
    assert.match(found.error!.message, message, call);
    assert.equal(found.error!.line, line, call);
  }
});

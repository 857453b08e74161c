/**
 * The `flowdeck.*` settings as a settings file holds them (a workspace's own included): one of the wrong
 * type or out of its range is taken at its default, with a warning — never a NaN limit (the run history
 * pruned to nothing, every run waiting for ever) nor a TypeError at activation.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultHome } from '../../src/engine/storeHome';
import { DEFAULT_FLOW_GLOB, flowGlobFrom, NUMBER_SETTINGS, settingsFrom } from '../../src/extension/settingValues';

const ROOT = join(__dirname, '..', '..');

/** The settings of `values` (keys without `flowdeck.`), with the warnings given. */
function read(values: Record<string, unknown>, env: NodeJS.ProcessEnv = { FLOWDECK_HOME: '/h' }) {
  const warnings: string[] = [];
  const settings = settingsFrom((key) => values[key], env, (m) => warnings.push(m));
  return { settings, warnings };
}

describe('settings', { timeout: 10_000 }, () => {
  it('unset: the defaults, without a warning', () => {
    const { settings, warnings } = read({});
    assert.deepEqual(warnings, []);
    assert.equal(settings.maxConcurrentRuns, 4);
    assert.equal(settings.runHistoryLimit, 1000);
    assert.equal(settings.flowGlob, DEFAULT_FLOW_GLOB);
    assert.equal(settings.githubApiUrl, '');
    assert.equal(settings.home, '/h');
    assert.equal(settings.store, undefined);
  });

  it('valid values are taken as they are', () => {
    const { settings, warnings } = read({ maxConcurrentRuns: 64, runHistoryLimit: 1, flowGlob: ' src/*.flow.ts ', 'github.apiUrl': 'https://ghe/api/v3', home: '/data', store: 'postgres://x/y' });
    assert.deepEqual(warnings, []);
    assert.deepEqual([settings.maxConcurrentRuns, settings.runHistoryLimit, settings.flowGlob, settings.githubApiUrl, settings.home, settings.store], [64, 1, 'src/*.flow.ts', 'https://ghe/api/v3', '/data', 'postgres://x/y']);
  });

  it('a run history limit that is not a whole number ≥ 1 is the default 1000 with a warning, never NaN (which pruned every run)', () => {
    for (const value of ['all', '50', 0, -5, 2.5, Number.NaN, true, [10], { n: 1 }]) {
      const { settings, warnings } = read({ runHistoryLimit: value });
      assert.equal(settings.runHistoryLimit, 1000, JSON.stringify(value));
      assert.equal(warnings.length, 1, JSON.stringify(value));
      assert.match(warnings[0]!, /"flowdeck\.runHistoryLimit" must be a whole number ≥ 1, not .*: using its default 1000/);
    }
  });

  it('run slots that are not a whole number from 1 to 64 are the default 4 with a warning, never NaN (every run waited for ever)', () => {
    for (const value of ['four', 0, 65, 1000, 1.5, Number.POSITIVE_INFINITY]) {
      const { settings, warnings } = read({ maxConcurrentRuns: value });
      assert.equal(settings.maxConcurrentRuns, 4, String(value));
      assert.equal(warnings.length, 1, String(value));
      assert.match(warnings[0]!, /"flowdeck\.maxConcurrentRuns" must be a whole number from 1 to 64, not .*: using its default 4/);
    }
  });

  it("a relative flowdeck.home is refused with a warning naming it, not read from the extension host's working folder; ~/… and absolute paths are taken", () => {
    for (const value of ['relstore', './relstore', '../x/store', '~other/store']) {
      const { settings, warnings } = read({ home: value });
      assert.equal(settings.home, '/h', `${value}: FLOWDECK_HOME, as when unset`);
      assert.equal(warnings.length, 1, value);
      assert.match(warnings[0]!, /"flowdeck\.home" must be an absolute path or start with ~\/, not ".*": .*Using \/h instead/);
    }
    const { settings, warnings } = read({ home: 'relstore' }, {});
    assert.equal(settings.home, join(homedir(), '.flowdeck'), 'no FLOWDECK_HOME: ~/.flowdeck');
    assert.match(warnings[0]!, /Using .*\.flowdeck instead/);
    assert.deepEqual([read({ home: '~/runs' }).settings.home, read({ home: ' /data/store ' }).settings.home, read({ home: '~' }).settings.home], [join(homedir(), 'runs'), '/data/store', homedir()]);
    assert.deepEqual([read({ home: '~/runs' }).warnings, read({ home: '/data' }).warnings], [[], []]);
  });

  it("a relative FLOWDECK_HOME the editor inherits is refused with a warning naming it and its value, ~/.flowdeck used; the CLI reads it from its own working folder", () => {
    for (const value of ['relstore', './relstore', '../x/store', '~other/store']) {
      for (const values of [{}, { home: 'also-relative' }]) {
        const { settings, warnings } = read(values, { FLOWDECK_HOME: value });
        assert.equal(settings.home, join(homedir(), '.flowdeck'), `${value} (${JSON.stringify(values)}): the default, not the extension host's working folder`);
        const about = warnings.filter((w) => w.includes('FLOWDECK_HOME'));
        assert.equal(about.length, 1, `${value}: ${warnings.join('\n')}`);
        assert.ok(about[0]!.includes(JSON.stringify(value)), about[0]);
        assert.match(about[0]!, /FLOWDECK_HOME .*must be an absolute path or start with ~\/, not ".*": .*Using .*\.flowdeck instead/);
      }
    }
    // A setting of its own: the variable is not read, nor warned about.
    assert.deepEqual(read({ home: '/data' }, { FLOWDECK_HOME: 'relstore' }), { settings: read({ home: '/data' }).settings, warnings: [] });
    assert.deepEqual([read({}, { FLOWDECK_HOME: '~/runs' }).settings.home, read({}, { FLOWDECK_HOME: '/data/store' }).settings.home], [join(homedir(), 'runs'), '/data/store']);
    assert.deepEqual([read({}, { FLOWDECK_HOME: '~/runs' }).warnings, read({}, { FLOWDECK_HOME: '/data/store' }).warnings], [[], []]);
    // The CLI's reading is unchanged: relative to its working folder, where the store opens it.
    assert.equal(defaultHome({ FLOWDECK_HOME: 'relstore' }), 'relstore');
  });

  it('a string setting of another type is its default with a warning, not a TypeError', () => {
    const { settings, warnings } = read({ flowGlob: ['**/*.flow.ts'], 'github.apiUrl': 5, home: { a: 1 }, store: false });
    assert.equal(settings.flowGlob, DEFAULT_FLOW_GLOB);
    assert.equal(settings.githubApiUrl, '');
    assert.equal(settings.home, '/h');
    assert.equal(settings.store, undefined);
    assert.equal(warnings.length, 4);
    assert.match(warnings.join('\n'), /"flowdeck\.flowGlob" must be a string, not \["\*\*\/\*\.flow\.ts"\]/);
    assert.match(warnings.join('\n'), /"flowdeck\.github\.apiUrl" must be a string, not 5/);
    const glob: string[] = [];
    assert.equal(flowGlobFrom(() => 7, (m) => glob.push(m)), DEFAULT_FLOW_GLOB);
    assert.equal(glob.length, 1);
  });

  it('a choice or a switch of another value is its default with a warning naming the choices, not taken silently', () => {
    const { settings, warnings } = read({ revealOutput: 'all', notify: 'loud', 'schedules.run': false, standbyWorker: 'no', 'diagnostics.eventLoop': 1 });
    assert.equal(settings.revealOutput, 'onRun');
    assert.equal(settings.notify, 'onFailure');
    assert.equal(settings.schedulesRun, 'whileOpen');
    assert.equal(settings.standbyWorker, true);
    assert.equal(settings.diagnoseEventLoop, false);
    assert.equal(warnings.length, 5, warnings.join('\n'));
    const text = warnings.join('\n');
    assert.match(text, /"flowdeck\.revealOutput" must be one of "onRun", "onFailure", "never", not "all": using its default "onRun"/);
    assert.match(text, /"flowdeck\.notify" must be one of "onFailure", "onFailureAndRecovery", "always", "never", not "loud"/);
    assert.match(text, /"flowdeck\.schedules\.run" must be one of "whileOpen", "never", not false/);
    assert.match(text, /"flowdeck\.standbyWorker" must be true or false, not "no": using its default true/);
    assert.match(text, /"flowdeck\.diagnostics\.eventLoop" must be true or false, not 1: using its default false/);
    // Valid values, no warning.
    const ok = read({ revealOutput: 'never', notify: 'always', 'schedules.run': 'never', standbyWorker: false, 'diagnostics.eventLoop': true });
    assert.deepEqual(ok.warnings, []);
    assert.deepEqual([ok.settings.revealOutput, ok.settings.notify, ok.settings.schedulesRun, ok.settings.standbyWorker, ok.settings.diagnoseEventLoop], ['never', 'always', 'never', false, true]);
  });

  it('concurrency limits that are not a tag with a whole number from 1 to 1000 are left out with a warning naming them', () => {
    const { settings, warnings } = read({ concurrencyLimits: { 'github-api': 2, 'bad tag': 3, db: 0, etl: '4', huge: 5000 } });
    assert.deepEqual(settings.concurrencyLimits, { 'github-api': 2 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /"flowdeck\.concurrencyLimits" has entries .* left out: "bad tag": 3, "db": 0, "etl": "4", "huge": 5000/);
    const list = read({ concurrencyLimits: [['github-api', 2]] });
    assert.deepEqual(list.settings.concurrencyLimits, {});
    assert.match(list.warnings.join('\n'), /"flowdeck\.concurrencyLimits" must be an object of tag → limit/);
    assert.deepEqual(read({ concurrencyLimits: { 'github-api': 2 } }).warnings, []);
  });

  it('the ranges and defaults are those package.json declares', () => {
    const properties = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { type: string; default: number; minimum?: number; maximum?: number }> } } }).contributes.configuration.properties;
    for (const [key, range] of Object.entries(NUMBER_SETTINGS)) {
      const p = properties[`flowdeck.${key}`]!;
      assert.equal(p.type, 'integer', key);
      assert.deepEqual([p.default, p.minimum, p.maximum ?? Number.MAX_SAFE_INTEGER], [range.default, range.minimum, range.maximum], key);
    }
  });
});

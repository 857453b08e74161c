/**
 * `flowdeck run --param/--params` end to end: the worker reads each `--param` text by the type the flow
 * declares; a rejected value says how to pass it; `__proto__` and `constructor` keys pollute nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';

const T = { timeout: 120_000 };

const declared = flowSource(`
export default flow({ name: 'release', parameters: {
  version: { type: 'string', pattern: '\\\\d+\\\\.\\\\d+' },
  ratio: { type: 'number', default: 1 },
  times: { type: 'integer', default: 1 },
  dry: { type: 'boolean', default: false },
  targets: { type: 'array', default: [] },
} }, async (p: Record<string, unknown>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, [typeof v, v]])));`);

describe('flowdeck run --param', T, () => {
  it('reads each text by its declared type: a string parameter keeps 2.0 as "2.0"', async () => {
    const ws = workspace({ 'release.flow.ts': declared });
    const r = await runCli(['run', 'release.flow.ts', '--json', '--param', 'version=2.0', '--param', 'ratio=0.5', '--param', 'times=3', '--param', 'dry=true', '--param', 'targets=["eu","us"]'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { parameters: unknown; result: unknown };
    assert.deepEqual(doc.parameters, { version: '2.0', ratio: 0.5, times: 3, dry: true, targets: ['eu', 'us'] });
    assert.deepEqual(doc.result, { version: ['string', '2.0'], ratio: ['number', 0.5], times: ['number', 3], dry: ['boolean', true], targets: ['object', ['eu', 'us']] });
  });

  for (const [what, args, message] of [
    ['a number too large', ['--param', 'version=1.0', '--param', 'ratio=1e400'], /'ratio' must be a number, got "1e400" \(not a finite number\); pass it as --param ratio=0\.5/],
    ['NaN', ['--param', 'version=1.0', '--param', 'ratio=NaN'], /'ratio' must be a number, got "NaN" \(not a number\)/],
    ['an integer past the exact range (it would run as 1e+23)', ['--param', 'version=1.0', '--param', 'times=99999999999999999999999'], /'times' must be a whole number, got "99999999999999999999999" \(past ±9007199254740991, which numbers hold exactly: declare it as a string to pass a larger one\); pass it as --param times=42/],
    ['a long integer past the exact range, quoted cut short', ['--param', 'version=1.0', '--param', `times=${'9'.repeat(300)}`], new RegExp(`'times' must be a whole number, got "${'9'.repeat(40)}…" \\(past ±9007199254740991`)],
    ['a boolean that is not one', ['--param', 'version=1.0', '--param', 'dry=yes'], /pass it as --param dry=true or --param dry=false/],
    ['a hexadecimal number (Number() would read 16)', ['--param', 'version=1.0', '--param', 'ratio=0x10'], /'ratio' must be a number, got "0x10" \(not a decimal number as JSON writes it, like 16, -0\.5 or 1e3\); pass it as --param ratio=0\.5/],
    ['a number with spaces around it', ['--param', 'version=1.0', '--param', 'times= 12 '], /'times' must be a whole number, got " 12 " \(spaces around the number\)/],
    ['Infinity', ['--param', 'version=1.0', '--param', 'ratio=Infinity'], /'ratio' must be a number, got "Infinity" \(not a finite number\)/],
    ['a boolean in capitals (it was read as true)', ['--param', 'version=1.0', '--param', 'dry=TRUE'], /'dry' must be true or false, got "TRUE" \(write it as true, in lower case and nothing around it\); pass it as --param dry=true or --param dry=false/],
    ['--params with a number too large', ['--params', '{"version":"1.0","ratio":1e400}'], /--params: the number at \.ratio is too large to be a number/],
  ] as const) {
    it(`exits 2 for ${what}, naming the text and how to pass it`, async () => {
      const ws = workspace({ 'release.flow.ts': declared });
      const r = await runCli(['run', 'release.flow.ts', ...args], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  it('a value nested deeper than 100 levels exits 2 saying so — from --params and from a --param read by its declared type — instead of a stack overflow; 100 levels run', async () => {
    const ws = workspace({ 'release.flow.ts': declared });
    const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const env = { FLOWDECK_HOME: tempDir() };
    // 100,000 levels from a file (too long for one command-line argument).
    writeFileSync(join(ws, 'deep.json'), `{"version":"1.0","targets":${nested(100_000)}}`);
    for (const [depth, params] of [[101, `{"version":"1.0","targets":${nested(101)}}`], [3800, `{"version":"1.0","targets":${nested(3800)}}`], [100_000, '@deep.json']] as const) {
      const r = await runCli(['run', 'release.flow.ts', '--params', params], { cwd: ws, env });
      assert.equal(r.code, 2, `${depth}: ${r.stderr}`);
      assert.match(r.stderr, /^flowdeck: --params( @deep\.json)?: parameter 'targets' is nested more than 100 levels deep; pass flatter data/m, `${depth}`);
    }
    const typed = await runCli(['run', 'release.flow.ts', '--param', 'version=1.0', '--param', `targets=${nested(3800)}`], { cwd: ws, env });
    assert.equal(typed.code, 2, typed.stderr);
    assert.match(typed.stderr, /parameter 'targets' is nested more than 100 levels deep/);
    const ok = await runCli(['run', 'release.flow.ts', '--json', '--params', `{"version":"1.0","targets":${nested(99)}}`], { cwd: ws, env });
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('__proto__ and constructor keys from --params and --param are parameters like any other and pollute nothing', async () => {
    const ws = workspace({
      'any.flow.ts': flowSource(`export default flow({ name: 'any' }, async (p: Record<string, unknown>) => ({
  keys: Object.keys(p).sort(),
  ownProto: Object.hasOwn(p, '__proto__') ? p['__proto__'] : null,
  paramsPrototypeIsObject: Object.getPrototypeOf(p) === Object.prototype,
  polluted: ({} as Record<string, unknown>).polluted ?? null,
}));`),
    });
    const r = await runCli(['run', 'any.flow.ts', '--json', '--params', '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}', '--param', 'toString=plain'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { parameters: Record<string, unknown>; result: unknown };
    assert.deepEqual(doc.result, { keys: ['__proto__', 'constructor', 'toString'], ownProto: { polluted: 'yes' }, paramsPrototypeIsObject: true, polluted: null });
    assert.deepEqual(Object.keys(doc.parameters).sort(), ['__proto__', 'constructor', 'toString']);
  });

  it('--params @FILE reads the object from a file (from the current folder; --param entries override it); a missing, malformed or huge file exits 2 naming it', async () => {
    const ws = workspace({
      'release.flow.ts': declared,
      'conf/release.json': '\uFEFF{"version":"3.1","targets":["eu","us","ap"],"ratio":2}\n',
      'conf/broken.json': '{"version":',
      'conf/list.json': '["eu"]',
      'conf/huge.json': `{"version":"1.0","pad":"${'x'.repeat(4 * 1024 * 1024)}"}`,
    });
    const env = { FLOWDECK_HOME: tempDir() };
    const r = await runCli(['run', 'release.flow.ts', '--json', '--params', '@conf/release.json', '--param', 'ratio=0.5'], { cwd: ws, env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { parameters: unknown }).parameters, { version: '3.1', targets: ['eu', 'us', 'ap'], ratio: 0.5, times: 1, dry: false });
    for (const [file, message] of [
      ['@conf/none.json', /--params @conf\/none\.json: cannot read .*conf\/none\.json \(no such file\)/],
      ['@conf', /--params @conf: cannot read .*conf \(a folder, not a file\)/],
      ['@conf/broken.json', /--params @conf\/broken\.json is not valid JSON/],
      ['@conf/list.json', /--params @conf\/list\.json must be a JSON object/],
      ['@conf/huge.json', /--params @conf\/huge\.json: the file holds more than 4 MiB; .* at most 4 MiB is read/],
    ] as const) {
      const bad = await runCli(['run', 'release.flow.ts', '--params', file], { cwd: ws, env });
      assert.equal(bad.code, 2, `${file}: ${bad.stderr}`);
      assert.match(bad.stderr, message);
    }
  });

  it('--params @FILE that is not UTF-8 (Latin-1, UTF-16) exits 2 saying where, instead of running with U+FFFD in place of its characters; UTF-8 with a BOM runs', async () => {
    const ws = workspace({ 'release.flow.ts': declared });
    // 'Zürich' as Latin-1: ü is the one byte 0xfc, which is not UTF-8.
    writeFileSync(join(ws, 'latin1.json'), Buffer.from('{\n  "version": "1.0",\n  "targets": ["Z\u00fcrich"]\n}\n', 'latin1'));
    writeFileSync(join(ws, 'utf16.json'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"version":"1.0"}', 'utf16le')]));
    writeFileSync(join(ws, 'utf8.json'), `\uFEFF{"version":"1.0","targets":["Z\u00fcrich"]}`);
    const env = { FLOWDECK_HOME: tempDir() };
    for (const [file, message] of [
      ['@latin1.json', /^flowdeck: --params @latin1\.json: the file is not UTF-8 text: byte 0xfc at line 3, column 17 \(byte offset 38\) is not UTF-8/m],
      ['@utf16.json', /^flowdeck: --params @utf16\.json: the file is UTF-16 text, and JSON is read as UTF-8: save it as UTF-8/m],
    ] as const) {
      const bad = await runCli(['run', 'release.flow.ts', '--json', '--params', file], { cwd: ws, env });
      assert.equal(bad.code, 2, `${file}: ${bad.stdout}${bad.stderr}`);
      assert.match(bad.stderr, message);
    }
    const runs = await runCli(['runs', '--json'], { cwd: ws, env });
    assert.deepEqual(JSON.parse(runs.stdout), [], 'no run was made');
    const ok = await runCli(['run', 'release.flow.ts', '--json', '--params', '@utf8.json'], { cwd: ws, env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual((JSON.parse(ok.stdout) as { parameters: { targets: unknown } }).parameters.targets, ['Z\u00fcrich']);
  });

  it('--params @FILE of a pipe or a device is read only up to 4 MiB: past it, exit 2 naming the file and the limit', { skip: process.platform === 'win32', timeout: 120_000 }, async () => {
    // A flow that takes any parameters: what is refused is the file, not what it holds.
    const ws = workspace({ 'any.flow.ts': flowSource(`export default flow({ name: 'any' }, async (p: Record<string, unknown>) => Object.keys(p));`) });
    const env = { FLOWDECK_HOME: tempDir() };
    // A pipe says nothing of its size: 5 MiB of a valid object is written into it while the CLI reads.
    const fifo = join(tempDir(), 'params.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo);
    writer.on('error', () => undefined); // EPIPE once the CLI stops reading.
    writer.end(`{"version":"1.0","pad":"${'x'.repeat(5 * 1024 * 1024)}"}`);
    const piped = await runCli(['run', 'any.flow.ts', '--params', `@${fifo}`], { cwd: ws, env });
    writer.destroy();
    assert.equal(piped.code, 2, piped.stderr);
    assert.match(piped.stderr, new RegExp(`--params @${fifo.replace(/[.*+?^\${}()|[\]\\]/g, '\\$&')}: the file holds more than 4 MiB; .* at most 4 MiB is read`));
    // A device that never ends.
    const zero = await runCli(['run', 'any.flow.ts', '--params', '@/dev/zero'], { cwd: ws, env });
    assert.equal(zero.code, 2, zero.stderr);
    assert.match(zero.stderr, /--params @\/dev\/zero: the file holds more than 4 MiB; .* at most 4 MiB is read/);
    const runs = await runCli(['runs', '--json'], { cwd: ws, env });
    assert.deepEqual(JSON.parse(runs.stdout), [], 'no run was made');
  });

  it('a declared flow refuses a __proto__ key as an unknown parameter', async () => {
    const ws = workspace({ 'release.flow.ts': declared });
    const r = await runCli(['run', 'release.flow.ts', '--params', '{"version":"1.0","__proto__":{"polluted":"yes"}}'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /unknown parameter '__proto__'/);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParameterError, type ParameterDeclarations } from '../../src/engine/parameters';
import { BUILTIN_FLOWS } from '../../src/extension/builtinFlows';
import { collectParameters, jsonParametersPrompt, parameterPrompts } from '../../src/extension/parameters/prompts';
import { inputSubject } from '../../src/engine/pauseInput';

const github = BUILTIN_FLOWS.find((f) => f.id === 'github-repo-stats')!;
const youtube = BUILTIN_FLOWS.find((f) => f.id === 'youtube-channel-analytics')!;

test('one prompt per declared parameter, in declaration order, starting from the default', () => {
  const prompts = parameterPrompts('youtube-channel-analytics', youtube.parameters);
  assert.deepEqual(prompts.map((p) => p.key), ['startDate', 'endDate', 'metrics']);
  assert.equal(prompts[2]!.value, 'estimatedMinutesWatched,views,likes,subscribersGained');
  assert.equal(prompts[0]!.value, '', 'no default: the box starts empty');
  assert.match(prompts[0]!.title, /\(1\/3\): startDate/);
  assert.match(prompts[0]!.prompt, /optional: leave empty/);
});

test('the prompt shows the default and validates with the engine, pattern included', () => {
  const [repo] = parameterPrompts('github-repo-stats', github.parameters);
  assert.equal(repo!.value, 'PrefectHQ/prefect');
  assert.match(repo!.prompt, /default "PrefectHQ\/prefect"/);
  assert.equal(repo!.validate('octocat/hello-world'), undefined);
  assert.match(repo!.validate('not a repo')!, /does not match the pattern/);
  assert.equal(repo!.validate(''), undefined, 'empty keeps the default');
});

test('an emptied box leaves the parameter out, so its default applies', () => {
  const params = collectParameters('github-repo-stats', github.parameters, new Map([['repo', '']]));
  assert.deepEqual(params, { repo: 'PrefectHQ/prefect' });
});

test('typed values are converted to the declared type', () => {
  const decls: ParameterDeclarations = {
    count: { type: 'integer', default: 3, minimum: 1 },
    ratio: { type: 'number' },
    dry: { type: 'boolean', default: false },
    tags: { type: 'array' },
    options: { type: 'object' },
    mode: { type: 'string', enum: ['fast', 'slow'], required: true },
  };
  const answers = new Map([
    ['count', '5'],
    ['ratio', '0.25'],
    ['dry', 'true'],
    ['tags', '["a","b"]'],
    ['options', '{"x":1}'],
    ['mode', 'slow'],
  ]);
  assert.deepEqual(collectParameters('f', decls, answers), { count: 5, ratio: 0.25, dry: true, tags: ['a', 'b'], options: { x: 1 }, mode: 'slow' });
});

test('each box says what is wrong with what was typed', () => {
  const prompts = parameterPrompts('f', {
    count: { type: 'integer', minimum: 1 },
    dry: { type: 'boolean' },
    tags: { type: 'array' },
    mode: { type: 'string', enum: ['fast', 'slow'], required: true },
  });
  const by = new Map(prompts.map((p) => [p.key, p]));
  assert.match(by.get('count')!.validate('abc')!, /whole number/);
  assert.match(by.get('count')!.validate('1.5')!, /must be an integer/);
  assert.match(by.get('count')!.validate('0')!, /≥ 1/);
  assert.match(by.get('dry')!.validate('maybe')!, /true or false/);
  // The box reads text as `--param` does (valueFromText): no hexadecimal, no spaces, booleans in lower case.
  assert.match(by.get('count')!.validate('0x10')!, /Type a whole number, e\.g\. 42 \(not a decimal number as JSON writes it/);
  assert.match(by.get('count')!.validate(' 3')!, /spaces around the number/);
  assert.match(by.get('dry')!.validate('TRUE')!, /write it as true, in lower case/);
  assert.equal(by.get('dry')!.validate('true'), undefined);
  assert.match(by.get('tags')!.validate('{"a":1}')!, /Type a JSON array, e\.g\. \["a","b"\] \(JSON, but not an array\)/);
  assert.match(by.get('tags')!.validate('[oops')!, /Type a JSON array, e\.g\. \["a","b"\] \(not JSON: .+\)/);
  assert.match(by.get('mode')!.validate('')!, /missing required parameter 'mode'/);
  assert.match(by.get('mode')!.validate('medium')!, /must be one of "fast", "slow"/);
  assert.match(by.get('mode')!.prompt, /required; one of fast, slow/);
});

test('putting the answers together throws ParameterError for what the engine would refuse', () => {
  assert.throws(
    () => collectParameters('f', { mode: { type: 'string', required: true } }, new Map([['mode', '']])),
    (e: unknown) => e instanceof ParameterError && /missing required parameter 'mode'/.test(e.message),
  );
  assert.throws(
    () => collectParameters('f', { n: { type: 'number' } }, new Map([['n', 'x']])),
    (e: unknown) => e instanceof ParameterError && /'n': Type a number/.test(e.message),
  );
});

test('a flow without a declaration is asked for one JSON object', () => {
  const prompt = jsonParametersPrompt('hello');
  assert.equal(prompt.value, '{}');
  assert.equal(prompt.validate('{"name": "Ada"}'), undefined);
  assert.match(prompt.validate('[1]')!, /JSON object/);
  assert.match(prompt.validate('{')!, /Not JSON/);
  assert.deepEqual(collectParameters('hello', undefined, new Map([['', '{"name": "Ada"}']])), { name: 'Ada' });
  assert.deepEqual(collectParameters('hello', undefined, new Map([['', '']])), {});
  assert.throws(() => collectParameters('hello', undefined, new Map([['', 'nope']])), ParameterError);
});

test("a paused run's input is asked the same way, titled and checked as its input (Resume Run)", () => {
  const decls: ParameterDeclarations = { approve: { type: 'boolean', required: true }, replicas: { type: 'integer', default: 2, minimum: 1 } };
  const asked = { action: 'Resume deploy-7', subject: inputSubject('deploy-7'), about: 'Deploy v7?' };
  const prompts = parameterPrompts('deploy-7', decls, asked);
  assert.deepEqual(prompts.map((p) => p.title), ['Resume deploy-7 (1/2): approve', 'Resume deploy-7 (2/2): replicas']);
  assert.match(prompts[0]!.prompt, /^Deploy v7\? — \(approve: boolean; required\)$/);
  assert.equal(prompts[1]!.validate('0'), "'replicas' must be ≥ 1, got 0");
  assert.deepEqual(collectParameters('deploy-7', decls, new Map([['approve', 'true'], ['replicas', '']]), asked), { approve: true, replicas: 2 });
  assert.throws(() => collectParameters('deploy-7', decls, new Map([['approve', '']]), asked), (e: Error) => e instanceof ParameterError && /^Invalid input for flow run 'deploy-7': missing required input 'approve'$/.test(e.message));
  assert.throws(() => collectParameters('deploy-7', decls, new Map([['approve', 'maybe']]), asked), (e: Error) => e instanceof ParameterError && /^Invalid input for flow run 'deploy-7': 'approve': Type true or false/.test(e.message));
});

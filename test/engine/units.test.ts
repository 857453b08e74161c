import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapAll, mapEach, mapWithLimit } from '../../src/engine/concurrency';
import { formatLogLine, formatTime } from '../../src/engine/logFormat';
import { ParameterError, validateParameters } from '../../src/engine/parameters';
import { splitAssignment } from '../../src/cli/parameterArgs';
import { exponentialBackoff, retryDelaySeconds } from '../../src/engine/retryPolicy';
import { formatState, isTerminal, state, stateLabel } from '../../src/engine/states';

describe('states', () => {
  it('maps named states to Prefect types and knows which are final', () => {
    assert.equal(state('Cached').type, 'COMPLETED');
    assert.equal(state('TimedOut').type, 'FAILED');
    assert.equal(state('AwaitingRetry').type, 'SCHEDULED');
    assert.equal(state('Retrying').type, 'RUNNING');
    assert.equal(state('Cancelling').type, 'CANCELLING');
    for (const t of ['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'] as const) assert.equal(isTerminal(t), true);
    for (const t of ['PENDING', 'RUNNING', 'CANCELLING', 'SCHEDULED', 'PAUSED'] as const) assert.equal(isTerminal(t), false);
  });

  it("prints final states the way Prefect does", () => {
    assert.equal(formatState({ name: 'Completed' }), 'Completed()');
    assert.equal(formatState({ name: 'Crashed', message: 'exit code 3' }), "Crashed('exit code 3')");
  });

  it("quotes a state's message as Python's repr does, on one line", () => {
    // Each expected text is what Python 3 prints for repr() of the same string.
    const cases: [string, string][] = [
      ["can't connect", `"can't connect"`],
      ['say "hi"', `'say "hi"'`],
      [`it's "both"`, `'it\\'s "both"'`],
      ['line one\nline two', `'line one\\nline two'`],
      ['tab\there\r', `'tab\\there\\r'`],
      ['C:\\temp', `'C:\\\\temp'`],
      ['bell\u0007 del\u007f c1\u0085', `'bell\\x07 del\\x7f c1\\x85'`],
      ['ls\u2028ps\u2029', `'ls\\u2028ps\\u2029'`],
      ['é ✓ 😀', `'é ✓ 😀'`],
      ['nbsp\u00a0shy\u00ad zwsp\u200b lone\ud800 pua\u{f0000}', `'nbsp\\xa0shy\\xad zwsp\\u200b lone\\ud800 pua\\U000f0000'`],
    ];
    for (const [message, repr] of cases) assert.equal(formatState({ name: 'Failed', message }), `Failed(${repr})`, JSON.stringify(message));
  });

  it('labels a state by its name, with its message quoted on one line when it has one (serve, resume --crashed)', () => {
    assert.equal(stateLabel({ name: 'Completed' }), 'Completed');
    assert.equal(stateLabel({ name: 'Crashed', message: 'lost\nhost' }), "Crashed('lost\\nhost')");
  });
});

describe('log format', () => {
  it('is HH:MM:SS.mmm | LEVEL padded to 7 | source - message', () => {
    const ts = new Date(2024, 0, 1, 1, 50, 4, 89).getTime();
    assert.equal(formatTime(ts), '01:50:04.089');
    assert.equal(formatLogLine({ ts, level: 'INFO', source: 'flowdeck.engine', message: "Created flow run 'light-potoo' for flow 'get-repo-info'" }), "01:50:04.089 | INFO    | flowdeck.engine - Created flow run 'light-potoo' for flow 'get-repo-info'");
    assert.equal(formatLogLine({ ts, level: 'WARNING', source: "Task run 'fetch-repo-0'", message: 'x' }), "01:50:04.089 | WARNING | Task run 'fetch-repo-0' - x");
    assert.equal(formatLogLine({ ts, level: 'CRITICAL', source: 's', message: 'x' }).split(' | ')[1], 'CRITICAL');
  });

  it('formats every time as Date does, in zones with half- and three-quarter-hour offsets and across DST changes', () => {
    const byDate = (ts: number): string => {
      const d = new Date(ts);
      const ms = d.getMilliseconds();
      return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}.${String(ms).padStart(3, '0')}`;
    };
    const zone = process.env.TZ;
    try {
      for (const [i, tz] of ['UTC', 'Europe/Madrid', 'America/St_Johns', 'Asia/Kathmandu', 'Australia/Lord_Howe'].entries()) {
        process.env.TZ = tz;
        // Each zone its own times (the formatter remembers its last second), around 2024's DST changes too.
        const times: number[] = [];
        let seed = 7 + i;
        const next = (): number => (seed = (seed * 48271) % 2147483647);
        for (let k = 0; k < 2000; k++) times.push(Date.UTC(2024, 0, 1) + i * 86_400_000 + (next() % (366 * 86_400_000)));
        for (const change of [Date.UTC(2024, 2, 31, 1), Date.UTC(2024, 9, 27, 1), Date.UTC(2024, 3, 7, 15), Date.UTC(2024, 2, 10, 5, 30)]) {
          for (let d = -2500; d <= 2500; d += 250) times.push(change + d + i);
        }
        times.push(999.9, -0.5, 0, 1_700_000_000_123.6);
        for (const ts of times) assert.equal(formatTime(ts), byDate(ts), `${tz} ${ts}`);
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});

describe('retry delays', () => {
  it('takes a number, a list (last entry repeats) or a function', () => {
    assert.equal(retryDelaySeconds(2, 3), 2);
    assert.deepEqual([1, 2, 3, 4].map((n) => retryDelaySeconds([1, 2, 4], n)), [1, 2, 4, 4]);
    assert.deepEqual([1, 2, 3].map((n) => retryDelaySeconds(exponentialBackoff(10), n)), [10, 20, 40]);
    assert.equal(retryDelaySeconds(undefined, 1), 0);
  });

  it('keeps jitter within [1-j, 1+j] of the delay', () => {
    assert.equal(retryDelaySeconds(10, 1, 0.2, () => 0), 8);
    assert.equal(retryDelaySeconds(10, 1, 0.2, () => 1), 12);
    for (let i = 0; i < 1000; i++) {
      const d = retryDelaySeconds(10, 1, 0.5);
      assert.ok(d >= 5 && d <= 15);
    }
  });

  it('rejects a delay function that returns nonsense', () => {
    assert.throws(() => retryDelaySeconds(() => -1, 1), /must be a number ≥ 0/);
    assert.throws(() => retryDelaySeconds(() => Number.NaN, 1), /must be a number ≥ 0/);
  });
});

describe('parameters', () => {
  const decl = {
    repo: { type: 'string' as const, default: 'PrefectHQ/prefect', pattern: '[\\w.-]+/[\\w.-]+' },
    limit: { type: 'integer' as const, minimum: 1 },
    mode: { type: 'string' as const, enum: ['fast', 'slow'] },
    token: { type: 'string' as const, required: true },
  };

  it('fills defaults and passes valid values through', () => {
    assert.deepEqual(validateParameters('f', decl, { token: 't', limit: 3 }), { repo: 'PrefectHQ/prefect', limit: 3, token: 't' });
  });

  it('lists every problem at once', () => {
    try {
      validateParameters('f', decl, { repo: 'nope', limit: 0, mode: 'medium', extra: 1 });
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof ParameterError);
      assert.equal(e.problems.length, 5);
      assert.match(e.message, /unknown parameter 'extra'/);
      assert.match(e.message, /'repo' = "nope" does not match the pattern/);
      assert.match(e.message, /'limit' must be ≥ 1, got 0/);
      assert.match(e.message, /'mode' must be one of "fast", "slow", got "medium"/);
      assert.match(e.message, /missing required parameter 'token'/);
    }
  });

  it('accepts anything without a declaration', () => {
    assert.deepEqual(validateParameters('f', undefined, { anything: [1, 2] }), { anything: [1, 2] });
  });

  it('splits --param key=value at the first =, keeping the value as typed', () => {
    assert.deepEqual(splitAssignment('n=5'), ['n', '5']);
    assert.deepEqual(splitAssignment('q=a=b'), ['q', 'a=b']);
    assert.deepEqual(splitAssignment('empty='), ['empty', '']);
    assert.throws(() => splitAssignment('novalue'), /expects key=value/);
    assert.throws(() => splitAssignment('=5'), /expects key=value/);
  });
});

describe('mapWithLimit', () => {
  it('keeps input order and the limit, and stops starting work after a failure', async () => {
    let active = 0;
    let peak = 0;
    const delays = [5, 1, 4, 2, 3];
    const out = await mapWithLimit(delays.length, 2, async (i) => {
      const x = delays[i]!;
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, x * 3));
      active--;
      return x * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30]);
    assert.equal(peak, 2);
    const started: number[] = [];
    await assert.rejects(
      mapWithLimit(6, 1, async (i) => {
        started.push(i + 1);
        if (i + 1 === 2) throw new Error('two');
      }),
      /two/,
    );
    assert.deepEqual(started, [1, 2]);
  });
});

describe('mapAll', () => {
  it('keeps input order, never has more than the window unsettled, and starts every call even after a failure, rejecting at once', async () => {
    let active = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const items = Array.from({ length: 50 }, (_, i) => i);
    const started: number[] = [];
    const out = mapAll(items.length, 8, async (x) => {
      started.push(x);
      active++;
      peak = Math.max(peak, active);
      await new Promise<void>((r) => release.push(r));
      active--;
      if (x === 3) throw new Error('three');
      return x * 2;
    });
    let rejection: unknown;
    out.catch((e: unknown) => (rejection = e));
    // Settle in reverse order of start, a few at a time, until every call has started and settled.
    for (let rounds = 0; rounds < 1000 && (release.length > 0 || started.length < items.length); rounds++) {
      release.splice(0).reverse().forEach((r) => r());
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(peak, 8);
    assert.deepEqual(started, items, 'every call started, in input order, the failure notwithstanding');
    assert.match(String(rejection), /three/);
    const small = [3, 1, 2];
    assert.deepEqual(await mapAll(small.length, 2, async (i) => small[i]! * 10), [30, 10, 20]);
  });

  it('keeps quick calls to the narrow window, and lets calls that wait widen it once the loop turns', async () => {
    const peakOf = async (call: () => Promise<void>): Promise<{ peak: number; out: number[] }> => {
      let active = 0;
      let peak = 0;
      const out = await mapAll(200, 4, async (i) => {
        active++;
        peak = Math.max(peak, active);
        await call();
        active--;
        return i;
      }, 16);
      return { peak, out };
    };
    const quick = await peakOf(async () => {
      for (let k = 0; k < 5; k++) await Promise.resolve();
    });
    assert.equal(quick.peak, 4, 'calls that settle without the loop turning never go past the window');
    assert.deepEqual(quick.out, Array.from({ length: 200 }, (_, i) => i));
    const waiting = await peakOf(() => new Promise<void>((r) => setTimeout(r, 1)));
    assert.equal(waiting.peak, 16, 'calls waiting on a timer run up to the wide window');
    assert.deepEqual(waiting.out, Array.from({ length: 200 }, (_, i) => i));
  });
});

describe('mapEach', () => {
  it('takes calls that end while they start (a synchronous task) without recursing, in order, and rejects with the first failure once', async () => {
    const n = 100_000;
    let depth = 0;
    let deepest = 0;
    const out = await mapEach<number>(n, 256, (i, ok) => {
      depth++;
      deepest = Math.max(deepest, depth);
      ok(i, i * 2);
      depth--;
    }, 1024);
    assert.equal(deepest, 1, 'each call started after the one before had returned');
    assert.equal(out.length, n);
    assert.ok(out.every((v, i) => v === i * 2));
    const started: number[] = [];
    const failing = mapEach<number>(10, 4, (i, ok, fail) => {
      started.push(i);
      if (i % 3 === 1) fail(new Error(`call ${i}`));
      else queueMicrotask(() => ok(i, i));
    });
    await assert.rejects(failing, /call 1$/);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, Array.from({ length: 10 }, (_, i) => i), 'every call started, the failures notwithstanding');
    assert.deepEqual(await mapEach(0, 4, () => assert.fail('no call')), []);
  });
});

/**
 * `npm run bench`, figure `results`: keeping and reading back a large result — a task's 200,000 small
 * objects — as the worker keeps it (serialize) and a resume or `--json` reads it (parseSerialized), against
 * `JSON.stringify`/`JSON.parse` of the same value in the same rounds, and devalue's text (how every result
 * was kept before plain ones were kept as JSON). CPU time beside wall time.
 */
import { stringify } from 'devalue';
import { parseSerialized, serialize } from '../src/engine/serializer';
import { median, spread } from './stats';

export interface LargeResultFigures {
  objects: number;
  /** Median ms of each way, per round: keeping, then reading back. */
  keepMs: number;
  keepCpuMs: number;
  jsonMs: number;
  devalueMs: number;
  readMs: number;
  jsonParseMs: number;
  devalueReadMs: number;
  keepRatio: number;
  keepSpread: string;
  devalueRatio: number;
  readRatio: number;
}

function timed<T>(fn: () => T): { value: T; ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (used.user + used.system) / 1000 };
}

export function largeResultBench(rounds: number, objects = 200_000): LargeResultFigures {
  const value = Array.from({ length: objects }, (_, i) => ({ id: i, name: `item ${i}`, ok: i % 2 === 0, score: i / 7 }));
  const keep: number[] = [];
  const keepCpu: number[] = [];
  const json: number[] = [];
  const dv: number[] = [];
  const read: number[] = [];
  const parse: number[] = [];
  const dvRead: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const kept = timed(() => serialize(value));
    keep.push(kept.ms);
    keepCpu.push(kept.cpuMs);
    const plain = timed(() => JSON.stringify(value));
    json.push(plain.ms);
    const old = timed(() => stringify(value));
    dv.push(old.ms);
    const back = timed(() => parseSerialized(kept.value));
    read.push(back.ms);
    parse.push(timed(() => JSON.parse(plain.value) as unknown).ms);
    dvRead.push(timed(() => parseSerialized(old.value)).ms);
    if ((back.value as unknown[]).length !== objects) throw new Error('the large result came back short');
  }
  const ratios = keep.map((k, i) => k / json[i]!);
  return {
    objects,
    keepMs: median(keep),
    keepCpuMs: median(keepCpu),
    jsonMs: median(json),
    devalueMs: median(dv),
    readMs: median(read),
    jsonParseMs: median(parse),
    devalueReadMs: median(dvRead),
    keepRatio: median(ratios),
    keepSpread: spread(ratios),
    devalueRatio: median(dv.map((d, i) => d / json[i]!)),
    readRatio: median(read.map((x, i) => x / parse[i]!)),
  };
}

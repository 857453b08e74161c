import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiteralMatcher } from '../../src/engine/literalMatcher';
import { seeded } from '../support/seeded';

/** The specification, spelled out slowly: at each position, the longest literal starting there. */
function reference(literals: readonly string[], text: string): number[] | undefined {
  const found: number[] = [];
  for (let at = 0; at < text.length; at++) {
    const longest = literals.filter((l) => text.startsWith(l, at)).sort((a, b) => b.length - a.length)[0];
    if (longest !== undefined) found.push(at, at + longest.length);
  }
  return found.length === 0 ? undefined : found;
}

/** A small alphabet, so literals overlap, share prefixes and occur often. */
function randomText(random: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += 'abcd.*(|'[Math.floor(random() * 8)];
  return text;
}

describe('literalMatcher', { timeout: 30_000 }, () => {
  it('finds the longest literal at every position where one starts, with few literals and with many', () => {
    const random = seeded(42);
    let compared = 0;
    let matches = 0;
    // 40 literals use the RegExp, 900 the index; both must answer exactly as the reference does.
    for (const count of [40, 900]) {
      const literals = Array.from({ length: count }, () => randomText(random, 3 + Math.floor(random() * 6)));
      // Added in two steps with a search between, as a flow registers tokens while it logs.
      const matcher = new LiteralMatcher(literals.slice(0, count / 2));
      matcher.find('warm');
      for (const literal of literals.slice(count / 2)) matcher.add(literal);
      for (let round = 0; round < 200; round++) {
        const text = randomText(random, Math.floor(random() * 60));
        const expected = reference(literals, text);
        assert.deepEqual(matcher.find(text), expected, `${count} literals in ${JSON.stringify(text)}`);
        compared++;
        matches += (expected?.length ?? 0) / 2;
      }
    }
    console.log(`literalMatcher: ${compared} texts compared with the reference, ${matches} matches`);
    assert.ok(matches > 100, 'the random texts should hold matches to compare');
  });

  it('answers undefined when nothing occurs and refuses literals too short to index', () => {
    assert.equal(new LiteralMatcher(['secret']).find('nothing here'), undefined);
    assert.equal(new LiteralMatcher().find('anything'), undefined);
    assert.throws(() => new LiteralMatcher(['ab']), /3 characters or more/);
  });
});

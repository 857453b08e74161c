import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADJECTIVES,
  ANIMALS,
  COMBINATIONS,
  isValidRunName,
  randomRunName,
  uniqueRunName,
} from '../../src/engine/runNames';

/** A deterministic `random` (mulberry32) so failures reproduce. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns the given values in turn, then repeats the last one. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)];
}

/** ROT13, so the slurs below are not spelled out in the source. */
function rot13(text: string): string {
  return text.replace(/[a-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - 97 + 13) % 26) + 97));
}

/** Must not occur anywhere in a word of either list. */
const BLOCKED_SUBSTRINGS = [
  'sex', 'porn', 'nude', 'naked', 'nazi', 'murder', 'rape', 'suicid', 'dead', 'death', 'corpse', 'blood',
  'gore', 'fuck', 'shit', 'piss', 'dick', 'penis', 'vagin', 'boob', 'breast', 'nipple', 'anus', 'anal',
  'damn', 'crap', 'drunk', 'stupid', 'idiot', 'moron', 'dumb', 'ugly', 'crazy', 'insane', 'psycho',
  'lunatic', 'fatso', 'obese', 'jihad', 'satan', 'devil', 'demon', 'hitler', 'dildo', 'horny', 'kinky',
  'fetish', 'cocaine', 'heroin', 'opium', 'meth', 'vomit', 'poop', 'fart', 'puke',
  // slurs, ROT13-encoded
  ...['ovgpu', 'jubre', 'fyhg', 'phag', 'avtt', 'arteb', 'pbba', 'fcvp', 'puvax', 'tbbx', 'xvxr', 'jrgonpx',
    'ornare', 'cnxv', 'wnc', 'tlcfl', 'snt', 'qlxr', 'genaal', 'ergneq'].map(rot13),
];

/** Must not be a whole word in either list (these also occur harmlessly inside longer words). */
const BLOCKED_WORDS = [
  // bodies, looks, weight
  'ass', 'butt', 'cock', 'tit', 'bum', 'fat', 'obese', 'skinny', 'chubby', 'plump', 'stout', 'portly', 'heavy',
  'thick', 'thin', 'slim', 'lean', 'bony', 'curvy', 'busty', 'hairy', 'bald', 'ugly', 'pretty', 'cute',
  'handsome', 'sexy', 'foxy', 'naked', 'big', 'huge', 'tiny', 'short', 'tall', 'petite', 'old', 'elderly',
  'vast', 'fluffy', 'ample', 'chunky', 'flabby', 'sleek', 'leggy',
  // insults, mental health, disability
  'dumb', 'stupid', 'crazy', 'mad', 'insane', 'psycho', 'nuts', 'nutty', 'loopy', 'bonkers', 'wacky', 'silly',
  'dizzy', 'manic', 'hyper', 'nervous', 'anxious', 'moody', 'sick', 'slow', 'lame', 'blind', 'deaf', 'weird',
  'creepy', 'lazy', 'dirty', 'filthy', 'smelly', 'stinky', 'gross', 'nasty', 'rotten', 'vile', 'evil', 'poor',
  'cheap', 'loose', 'easy', 'wet', 'moist', 'hard', 'hot', 'naughty', 'frisky', 'steamy', 'fruity', 'kill',
  'killer', 'mental', 'deranged', 'spastic', 'crippled', 'dwarf', 'midget',
  // death and violence
  'dead', 'deadly', 'dying', 'savage', 'brutal', 'cruel', 'violent', 'grim', 'ghostly', 'haunted', 'toxic',
  'bloody', 'angry', 'fierce',
  // ethnicity, skin, religion, politics
  'black', 'white', 'brown', 'yellow', 'red', 'tan', 'pale', 'ebony', 'exotic', 'oriental', 'native', 'tribal',
  'ghetto', 'urban', 'gay', 'queer', 'straight', 'holy', 'blessed', 'divine', 'sacred', 'heavenly', 'pious',
  'saintly', 'angelic', 'devilish', 'sinful', 'pagan', 'heathen', 'zealous', 'liberal', 'conservative',
  'radical', 'royal', 'supreme', 'northern', 'southern', 'eastern', 'western', 'rebel',
  // animals that double as insults, slang or slurs
  'pig', 'hog', 'swine', 'sow', 'cow', 'rat', 'weasel', 'snake', 'ape', 'monkey', 'gorilla', 'baboon', 'chimp',
  'chicken', 'turkey', 'beaver', 'cougar', 'bunny', 'pussycat', 'kitty', 'booby', 'shag', 'titmouse', 'loon',
  'cuckoo', 'dodo', 'coot', 'galah', 'drongo', 'frog', 'toad', 'skunk', 'leech', 'louse', 'maggot', 'cockroach',
  'vulture', 'jackal', 'worm', 'slug', 'vixen', 'stud', 'crab', 'shrimp', 'sloth', 'raccoon',
  'peacock', 'cockatoo', 'woodcock', 'bustard', 'dickcissel', 'gerbil', 'dog',
];

test('10,000 generated names are two lowercase words joined by one hyphen', () => {
  const random = seeded(1);
  const adjectives = new Set(ADJECTIVES);
  const animals = new Set(ANIMALS);
  for (let i = 0; i < 10_000; i++) {
    const name = randomRunName(random);
    assert.match(name, /^[a-z]+-[a-z]+$/, name);
    assert.ok(isValidRunName(name), name);
    const [adjective, animal] = name.split('-');
    assert.ok(adjectives.has(adjective), `${name}: unknown adjective`);
    assert.ok(animals.has(animal), `${name}: unknown animal`);
  }
});

test('the default random source (Math.random) also gives valid names', () => {
  for (let i = 0; i < 1_000; i++) assert.ok(isValidRunName(randomRunName()));
});

test('there are at least 100,000 combinations', () => {
  assert.equal(COMBINATIONS, ADJECTIVES.length * ANIMALS.length);
  assert.ok(COMBINATIONS >= 100_000, `only ${COMBINATIONS} combinations`);
  assert.ok(ADJECTIVES.length >= 400, `${ADJECTIVES.length} adjectives`);
  assert.ok(ANIMALS.length >= 250, `${ANIMALS.length} animals`);
});

test('the lists have only [a-z] words, no duplicates, and no word in both', () => {
  for (const [label, list] of [['ADJECTIVES', ADJECTIVES], ['ANIMALS', ANIMALS]] as const) {
    for (const word of list) assert.match(word, /^[a-z]+$/, `${label}: ${JSON.stringify(word)}`);
    const seen = new Set<string>();
    const duplicates = list.filter((word) => (seen.has(word) ? true : (seen.add(word), false)));
    assert.deepEqual(duplicates, [], `${label} duplicates`);
    assert.ok(Object.isFrozen(list), `${label} is frozen`);
  }
  const animals = new Set(ANIMALS);
  assert.deepEqual(ADJECTIVES.filter((word) => animals.has(word)), []);
});

test('the lists contain nothing from the blocklist', () => {
  const offending: string[] = [];
  const blockedWords = new Set(BLOCKED_WORDS);
  for (const word of [...ADJECTIVES, ...ANIMALS]) {
    if (blockedWords.has(word)) offending.push(word);
    for (const bad of BLOCKED_SUBSTRINGS) if (word.includes(bad)) offending.push(`${word} (${bad})`);
  }
  assert.deepEqual(offending, []);
});

/** Idioms that read as insults (or worse) when an adjective meets an animal; none may be producible. */
const BLOCKED_PAIRS = [
  'lame-duck', 'dead-duck', 'sitting-duck', 'lone-wolf', 'fat-cat', 'copy-cat', 'scaredy-cat', 'black-sheep',
  'dark-horse', 'cold-fish', 'sly-fox', 'paper-tiger', 'cold-turkey', 'hot-dog', 'dirty-dog', 'sick-puppy',
  'sea-cow', 'stool-pigeon', 'loan-shark', 'card-shark', 'party-animal', 'dirty-rat', 'horny-toad',
  'dumb-bunny', 'old-goat', 'dumb-ox', 'lounge-lizard', 'queen-bee', 'odd-duck',
];

test('no adjective-animal pair forms an unwelcome idiom', () => {
  const adjectives = new Set(ADJECTIVES);
  const animals = new Set(ANIMALS);
  const producible = BLOCKED_PAIRS.filter((pair) => {
    const [adjective, animal] = pair.split('-');
    return adjectives.has(adjective) && animals.has(animal);
  });
  assert.deepEqual(producible, []);
});

test('isValidRunName', () => {
  for (const good of ['light-potoo', 'clever-mongoose', 'a-b']) assert.equal(isValidRunName(good), true, good);
  for (const bad of ['', 'light', 'light-', '-potoo', 'Light-potoo', 'light_potoo', 'light--potoo',
    'light-potoo-2', 'light-potoo2', 'light potoo', 'light-potoo\n', 'élan-potoo']) {
    assert.equal(isValidRunName(bad), false, JSON.stringify(bad));
  }
});

test('randomRunName maps random() onto the lists, clamping out-of-range values', () => {
  assert.equal(randomRunName(sequence(0, 0)), `${ADJECTIVES[0]}-${ANIMALS[0]}`);
  const last = `${ADJECTIVES[ADJECTIVES.length - 1]}-${ANIMALS[ANIMALS.length - 1]}`;
  assert.equal(randomRunName(sequence(0.999999999, 0.999999999)), last);
  assert.equal(randomRunName(sequence(1, 1)), last);
  assert.equal(randomRunName(sequence(-1, Number.NaN)), `${ADJECTIVES[0]}-${ANIMALS[0]}`);
});

test('uniqueRunName returns the first draw when it is free', () => {
  const random = seeded(7);
  const expected = randomRunName(seeded(7));
  assert.equal(uniqueRunName(() => false, random), expected);
});

test('uniqueRunName keeps drawing past taken names', () => {
  // The first 60 draws all land on the first combination (taken); then a free one comes up.
  const values: number[] = [];
  for (let i = 0; i < 60; i++) values.push(0, 0);
  values.push(0.5, 0.5);
  const taken = new Set([`${ADJECTIVES[0]}-${ANIMALS[0]}`]);
  const asked: string[] = [];
  const name = uniqueRunName((candidate) => {
    asked.push(candidate);
    return taken.has(candidate);
  }, sequence(...values));
  assert.equal(name, `${ADJECTIVES[Math.floor(0.5 * ADJECTIVES.length)]}-${ANIMALS[Math.floor(0.5 * ANIMALS.length)]}`);
  assert.equal(asked.length, 61);
  assert.ok(!taken.has(name));
  assert.ok(isValidRunName(name));
});

test('uniqueRunName avoids a store that already holds many names', () => {
  const store = new Set<string>();
  const random = seeded(42);
  for (let i = 0; i < 20_000; i++) {
    const name = uniqueRunName((candidate) => store.has(candidate), random);
    assert.ok(!store.has(name), `${name} handed out twice`);
    store.add(name);
  }
  assert.equal(store.size, 20_000);
});

test('uniqueRunName throws a clear error when every attempt is taken', () => {
  let calls = 0;
  assert.throws(
    () => uniqueRunName(() => (calls++, true), seeded(3)),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /unused run name/);
      assert.match(error.message, /10,000 attempts/);
      return true;
    },
  );
  assert.equal(calls, 10_000);
});

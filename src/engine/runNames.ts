/**
 * Run names: two lowercase words joined by one hyphen (`light-potoo`), an adjective from ADJECTIVES and an
 * animal from ANIMALS. Both lists were written for this project: ASCII letters only, friendly and neutral
 * (nothing about bodies, looks, weight, death, violence, ethnicity, religion, politics or mental health, and
 * nothing that reads badly next to an animal). Engine module: no vscode import, no dependencies.
 */

function wordList(text: string): readonly string[] {
  return Object.freeze(text.split(/\s+/).filter((word) => word.length > 0));
}

/** Adjectives, alphabetical. Lowercase a-z only, no duplicates; none of them is also in ANIMALS. */
export const ADJECTIVES: readonly string[] = wordList(`
  able acoustic active adept adroit aerial affable agile airy alert alpine amber amiable amicable
  amused animated apricot aquatic arctic ardent artful artistic astral astute atomic attuned august
  avid awake aware azure
  balanced balmy beaming beloved blissful blithe blooming bold bookish boreal boundless bracing brave
  breezy bright brilliant brindle brisk bronze bubbly budding buoyant busy buzzing
  calico calm candid canny capable carefree careful caring carmine cascading cautious cerulean charmed
  charming chatty cheerful chilly chiming chipper chirpy chummy citrus clean clear clement clever
  clockwork cloudy coastal cobalt colorful comfy compact confident constant content cool copper coral
  cordial cosmic courtly cozy crafty creative crested crimson crisp crowned curious cyan
  dancing dappled daring dauntless dawning dear decisive deft delightful dependable devoted dewy
  digital diligent discreet dotted downy dreaming dreamy dutiful dynamic
  eager early earnest earthy easygoing eclectic elastic elated electric elfin eloquent emerald eminent
  enchanted enduring energetic epic ethereal evergreen excited expert
  fabled fabulous famous fancy fearless feathered fervent festive fine firm fleecy fleet flickering
  floral flourishing flowing fluent fluid fluttering flying foamy focused foggy fond fortunate fragrant
  frank free fresh friendly frosty frozen frugal funny fuzzy
  galactic gallant gentle genuine gifted gilded glad gleaming gleeful glimmering glistening glittering
  glossy glowing golden good gossamer graceful gracious grand grateful great green gritty groovy gusty
  halcyon happy hardy harmonic hazel hazy helpful heroic honest honeyed hopeful hovering humble humming
  hushed
  icy ideal idyllic indigo infinite intrepid inventive inviting iridescent iron
  jade jaunty jazzy jeweled jolly jovial joyful joyous jubilant jumping just
  keen kind kindred kinetic knightly knowing
  laughing lavender leafy learned leisurely light lilac lilting limber lime liquid lively lofty looping
  loving loyal lucid lucky luminous lunar lyrical
  magenta magical magnetic majestic maple marbled marine marvelous masterful mellow melodic merry
  mighty mild mindful mint minty mirthful misty modern modest molten moonlit mossy musical
  natural nautical navy neat neon neutral new nice nifty nimble noble nocturnal noted nurturing
  oaken obsidian oceanic ochre olive opal open orange orbital orderly organic ornate outdoor outgoing
  overjoyed
  paisley pastel patient peaceful pearly pebbled peppy perennial perfect pewter pink placid plaid
  playful pleasant pleased plucky plum poetic poised polar polished polite popular powerful practical
  precious precise prime prismatic pristine prized prompt proud prudent purple
  quaint quantum quick quiet quilted quirky
  radiant rainy rapid rare rational ready refined regal relaxed reliable renowned resilient resolute
  resonant restful rhythmic ringing rippling rising roaming rocky rooted rousing roving running rural
  russet rustic
  saffron sage sandy sapphire savvy scenic scented scholarly seaside sepia serene shimmering shining
  shiny sienna silent silver sincere singing skilled skillful smart smiling smooth snappy snazzy snowy
  snug soaring sociable soft solar sonic soothing sound spangled sparkling speckled speedy spiffy
  spiral spirited splashy splendid sporty spotless spotted sprightly spry stable stalwart starlit
  starry stately steadfast steady steely stellar sterling stirring stoic storied stormy striped strong
  studious sublime subtle summery sunlit sunny super superb sure swift swirling sylvan
  tactful talented tangerine teal terrific thankful thoughtful thrifty thriving tidal tidy timely
  tireless toasty topaz tranquil treasured trendy trilling triumphant tropical true trusty tufted
  tuneful twinkling
  ultra umber undaunted unfazed unique upbeat
  valiant velvet verdant vernal versatile vibrant vigilant vigorous vintage violet vital vivacious
  vivid vocal
  waltzing wandering warbling warm wary watchful wavy welcome wheeling whimsical whirling whirring
  whistling wholesome windy winged wintry wise wistful witty wondrous wooded wooden woolly worthy woven
  zesty zigzag zippy
`);

/** Animals, alphabetical. Lowercase a-z only, no duplicates; none of them is also in ADJECTIVES. */
export const ANIMALS: readonly string[] = wordList(`
  aardvark aardwolf albatross alpaca anchovy anole ant antelope armadillo auk avocet axolotl
  badger bandicoot barbet barracuda bear bee beetle beluga betta bilby binturong bison bittern bluebird
  bluejay bobcat bobolink bongo bowerbird buffalo bumblebee bunting butterfly
  caddisfly caiman camel canary capybara caracal caribou carp cat catbird chameleon chamois cheetah
  chickadee chinchilla chipmunk cicada civet clam coati cod conch condor cormorant corncrake crane
  crayfish cricket crossbill curlew cuttlefish
  damselfly dassie deer degu dingo dipper dolphin donkey dormouse dove dragonfly dugong dunlin
  eagle echidna egret eider eland elephant elk emu ermine
  falcon fennec ferret fieldfare finch firefly flamingo flounder flycatcher fox frigatebird fulmar
  gadwall gannet gazelle gecko giraffe gnu goby goldcrest goldfinch goose gopher goshawk grasshopper
  grebe grosbeak grouper grouse guanaco gull guppy
  haddock halibut hamster hare harrier hawk hedgehog heron herring hippo hoopoe hornbill hornet horse
  hummingbird hyrax
  ibex ibis iguana impala
  jacana jackdaw jackrabbit jaguar jay jellyfish jerboa junco
  kakapo kangaroo katydid kea kestrel kingfisher kinglet kite kittiwake kiwi koala koi kookaburra krill
  kudu
  lacewing ladybird ladybug lamb lapwing lark lemming lemur leopard limpet linnet lion lionfish llama
  lobster lorikeet loris lovebird lynx
  macaw mackerel magpie mallard manakin manatee mantis mara margay marlin marmot marten martin mayfly
  meadowlark meerkat merganser merlin mink minnow mockingbird moorhen moose moth motmot mouse muskox
  mussel myna
  narwhal nautilus newt nighthawk nightingale nightjar nilgai numbat nuthatch
  ocelot octopus okapi orca oriole oryx osprey ostrich otter owl ox oyster oystercatcher
  panda pangolin panther parakeet parrot partridge pelican penguin perch peregrine petrel pheasant
  phoebe pigeon pika pike pipit platypus plover pollock pony porcupine porpoise possum potoo prawn
  pronghorn pufferfish puffin puma
  quail quetzal quokka quoll
  rabbit raven redstart redwing reindeer rhea rhino roadrunner robin rook rosella
  sable salamander salmon sanderling sandpiper sardine scallop seahorse seal serval shearwater shoebill
  siskin skink skylark snail snapper sparrow spoonbill springbok squid squirrel starfish starling stilt
  stoat stork sturgeon sunbird sunfish swan
  takin tanager tapir tarpon tarsier tern tetra tiger tortoise toucan towhee trogon trout tuatara tuna
  turaco turnstone turtle
  urchin
  vicuna vireo vole
  wagtail wahoo wallaby walrus warbler waxwing weaver whale whimbrel wigeon wildcat wolf wolverine
  wombat wren
  yak
  zander zebra zebu
`);

/** How many distinct names randomRunName can produce. */
export const COMBINATIONS: number = ADJECTIVES.length * ANIMALS.length;

/** Draws after which uniqueRunName gives up (each one collided). */
const MAX_ATTEMPTS = 10_000;

const RUN_NAME_PATTERN = /^[a-z]+-[a-z]+$/;

/** An element of `list` chosen by `random()` in [0, 1); out-of-range or non-finite draws are clamped. */
function pick(list: readonly string[], random: () => number): string {
  const r = random();
  const index = Number.isFinite(r) ? Math.floor(r * list.length) : 0;
  return list[Math.min(list.length - 1, Math.max(0, index))];
}

/** A random `adjective-animal` name; `random` (default Math.random) is called twice, adjective first. */
export function randomRunName(random: () => number = Math.random): string {
  const adjective = pick(ADJECTIVES, random);
  const animal = pick(ANIMALS, random);
  return `${adjective}-${animal}`;
}

/**
 * A random name for which `isTaken(name)` is false. Collisions just mean another draw (COMBINATIONS is
 * large, so a store has to be nearly full before that matters); throws if all of 10,000 draws are taken.
 */
export function uniqueRunName(isTaken: (name: string) => boolean, random: () => number = Math.random): string {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const name = randomRunName(random);
    if (!isTaken(name)) return name;
  }
  throw new Error(
    `Could not pick an unused run name: all ${MAX_ATTEMPTS.toLocaleString('en-US')} attempts were already taken ` +
      `(${COMBINATIONS.toLocaleString('en-US')} names are possible).`,
  );
}

/** True for two lowercase words of letters a-z joined by one hyphen, e.g. `light-potoo`. */
export function isValidRunName(name: string): boolean {
  return RUN_NAME_PATTERN.test(name);
}

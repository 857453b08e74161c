/**
 * Every input where the user types, or picks after earlier answers, stays open when the focus leaves it
 * (to copy a value from an editor): it goes through src/extension/util/stayOpenInput.ts. A source scan, as
 * manifest.test.ts's: the tests cannot load `vscode`, and what matters is that no call goes around the rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const EXTENSION = join(__dirname, '..', '..', 'src', 'extension');
const HELPER = 'util/stayOpenInput.ts';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}
const files = new Map(sources(EXTENSION).map((f) => [relative(EXTENSION, f).split(sep).join('/'), readFileSync(f, 'utf8')]));

/** How many times the source calls or takes one of the window's functions named (`window.showInputBox(`, `{ showInputBox } = vscode.window`). */
function uses(source: string, names: readonly string[]): number {
  const alternatives = names.join('|');
  const called = source.match(new RegExp(`\\.\\s*(?:${alternatives})\\b`, 'g'))?.length ?? 0;
  const destructured = source.match(new RegExp(`\\{[^}]*\\b(?:${alternatives})\\b[^}]*\\}\\s*=\\s*(?:vscode\\.)?window\\b`, 'g'))?.length ?? 0;
  return called + destructured;
}

function usesByFile(names: readonly string[]): Record<string, number> {
  const found: Record<string, number> = {};
  for (const [file, source] of files) {
    const n = uses(source, names);
    if (n > 0 && file !== HELPER) found[file] = n;
  }
  return found;
}

test('no input box of the extension goes around stayOpenInput (each one is typed into)', () => {
  assert.deepEqual(usesByFile(['showInputBox', 'createInputBox']), {}, `input boxes opened without ${HELPER}: use askText or createTextBox`);
});

// A quick pick that is the first and only step (which flow, which run, which schedule), or a list whose
// rows act in place (listPick), closes when the focus leaves, as VS Code's own menus do: nothing typed is
// lost. One that follows earlier answers, or where several items are picked, goes through the helper.
test('the quick picks that close when the focus leaves are the one-click menus', () => {
  assert.deepEqual(usesByFile(['showQuickPick', 'createQuickPick']), {
    'commands/cachedResults.ts': 1,
    'commands/manageSchedule.ts': 1,
    'commands/openRun.ts': 1,
    'commands/variables.ts': 1,
    'flows/pickFlow.ts': 1,
  }, `a quick pick added after earlier answers, or picking several items, goes through ${HELPER} (askStep, createMultiPick)`);
});

test('each input stayOpenInput opens stays open when the focus leaves', () => {
  const helper = files.get(HELPER);
  assert.ok(helper, `${HELPER} exists`);
  const functions = helper.split(/^export /m).slice(1);
  const opening = functions.filter((f) => uses(f, ['showInputBox', 'createInputBox', 'showQuickPick', 'createQuickPick']) > 0);
  assert.equal(opening.length, 4, 'askText, createTextBox, askStep, createMultiPick');
  for (const f of opening) assert.match(f, /ignoreFocusOut(?::|\s*=)\s*true\b/, f.split('\n')[0]);
});

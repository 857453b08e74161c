import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JSDOM } from 'jsdom';
import { KeyedPart } from '../../src/webview/keyedPart';

const { window } = new JSDOM('<!DOCTYPE html><body></body>');
const document = window.document;

/** A part holding one button, drawn from `label`; `clicks` counts the clicks that reach a drawn button. */
function runsList() {
  const element = document.createElement('div');
  document.body.append(element);
  const part = new KeyedPart(element as unknown as HTMLElement);
  const clicks: string[] = [];
  const draw = (label: string) =>
    part.draw(label, () => {
      const b = document.createElement('button');
      b.textContent = label;
      b.addEventListener('click', () => clicks.push(label));
      return b as unknown as Node;
    });
  const button = () => element.querySelector('button')!;
  return { part, draw, button, clicks };
}

describe('a part drawn again only when what it shows changed', { timeout: 10_000 }, () => {
  it('keeps its elements when the same key comes again, so a click that straddles the news still lands', () => {
    const { draw, button, clicks } = runsList();
    assert.equal(draw('light-potoo Running'), true);
    const pressed = button();
    pressed.dispatchEvent(new window.MouseEvent('mousedown', { bubbles: true }));
    // The host sends the same news again between the press and the release.
    assert.equal(draw('light-potoo Running'), false);
    assert.equal(button(), pressed, 'the same element');
    assert.equal(pressed.isConnected, true);
    pressed.click();
    assert.deepEqual(clicks, ['light-potoo Running']);
  });

  it('draws anew when the key changes: the old elements go', () => {
    const { draw, button } = runsList();
    draw('light-potoo Running');
    const before = button();
    assert.equal(draw('light-potoo Completed'), true);
    assert.equal(before.isConnected, false);
    assert.equal(button().textContent, 'light-potoo Completed');
    // And back: a key is compared with the last one drawn, not with every one seen.
    assert.equal(draw('light-potoo Running'), true);
  });
});

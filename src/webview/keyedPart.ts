/**
 * A part of a page drawn again only when what it shows has changed — its key, the text of what it is drawn
 * from. A part drawn anew whenever the host sends news (the dashboard's top bar and runs list, at every
 * model, up to four times a second while runs start and end) loses the clicks whose press and release
 * straddle a redraw: the press lands on an element that is gone by the release.
 */
export class KeyedPart {
  private key: string | undefined;

  constructor(readonly element: HTMLElement) {}

  /** Draws `draw()` in the part unless `key` is the key it was last drawn with; true when it drew. */
  draw(key: string, draw: () => Node | string): boolean {
    if (key === this.key) return false;
    this.key = key;
    this.element.replaceChildren(draw());
    return true;
  }
}

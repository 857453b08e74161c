/**
 * Helpers for the dashboard's e2e tests: a canvas's pixels as a digest (to see a chart change), VS Code's
 * save dialog as code-server shows it (a quick input holding the path), and a PNG file's pixels counted
 * in the browser, the way an image viewer would decode it.
 */
import * as fs from 'node:fs';
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** A digest of what a canvas shows; two different drawings give two different digests. */
export async function canvasDigest(frame: FrameLocator, selector: string): Promise<string> {
  return frame.locator(selector).first().evaluate((canvas: any) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data as Uint8ClampedArray;
    let hash = 2166136261;
    for (let i = 0; i < data.length; i += 7) hash = Math.imul(hash ^ data[i]!, 16777619) >>> 0;
    return `${canvas.width}x${canvas.height}:${hash.toString(16)}`;
  });
}

/**
 * Answers the save dialog VS Code opens for `showSaveDialog` (in code-server: the simple file dialog, a
 * quick input with the path) with `target`, and waits until the file exists.
 */
export async function saveThroughDialog(page: Page, target: string, timeoutMs = 20_000): Promise<Buffer> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  const suggested = await input.inputValue();
  await input.fill(target);
  await page.waitForTimeout(200); // the dialog validates the typed path before it accepts
  await input.press('Enter');
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(target) || fs.statSync(target).size === 0) {
    if (Date.now() > deadline) throw new Error(`${target} was not written within ${timeoutMs} ms (the dialog suggested ${suggested})`);
    await page.waitForTimeout(100);
  }
  // The write may still be going on; wait until the size stops changing.
  for (let size = -1; size !== fs.statSync(target).size; ) {
    size = fs.statSync(target).size;
    await page.waitForTimeout(150);
  }
  return fs.readFileSync(target);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Decodes a PNG in the browser page and counts pixels that differ from its most common colour (the background). */
export async function pngInk(page: Page, png: Buffer): Promise<{ width: number; height: number; inked: number; colours: number }> {
  return page.evaluate(async (base64: string) => {
    const image = new (globalThis as any).Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = (globalThis as any).document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data as Uint8ClampedArray;
    const counts = new Map<number, number>();
    for (let i = 0; i < data.length; i += 4) {
      const key = ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    let bg = 0;
    let best = -1;
    for (const [k, n] of counts) if (n > best) [bg, best] = [k, n];
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) {
      const d = Math.abs(data[i]! - (bg >>> 24)) + Math.abs(data[i + 1]! - ((bg >>> 16) & 255)) + Math.abs(data[i + 2]! - ((bg >>> 8) & 255)) + Math.abs(data[i + 3]! - (bg & 255));
      if (d > 24) inked++;
    }
    return { width: canvas.width, height: canvas.height, inked, colours: counts.size };
  }, png.toString('base64'));
}

/** Waits for an element's attribute to match (polling, bounded). */
export async function waitForAttribute(locator: Locator, name: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = null;
  for (;;) {
    last = await locator.getAttribute(name, { timeout: 2_000 }).catch(() => null);
    if (last !== null && pattern.test(last)) return last;
    if (Date.now() > deadline) throw new Error(`${name} never matched ${pattern} within ${timeoutMs} ms; last: ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

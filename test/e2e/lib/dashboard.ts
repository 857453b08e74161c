/**
 * Helpers for the dashboard's e2e tests: a canvas's pixels as a digest (to see a chart change), VS Code's
 * save dialog as code-server shows it (a quick input holding the path), and a PNG file's pixels counted
 * in the browser, the way an image viewer would decode it.
 */
import * as fs from 'node:fs';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { runCommand } from './codeServer';
import { canvasInk, type CanvasInk } from './flowdeck';

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
 * The ink of the canvases `selector` picks once `ok` accepts it, or the last reading after `timeoutMs` (the
 * test's own assertion then says what is wrong). chart.js animates a chart's first drawing in, and a loaded
 * machine draws later still: pixels judged after a fixed pause can be half drawn.
 */
export async function waitForInk(page: Page, frame: FrameLocator, selector: string, ok: (inks: CanvasInk[]) => boolean, timeoutMs = 15_000): Promise<CanvasInk[]> {
  let inks: CanvasInk[] = [];
  for (const deadline = Date.now() + timeoutMs; ; await page.waitForTimeout(150)) {
    inks = await canvasInk(frame, selector).catch(() => inks);
    if (ok(inks) || Date.now() > deadline) return inks;
  }
}

/**
 * A canvas's digest once its drawing holds still (two readings 250 ms apart agree), so an animation in
 * progress is not taken for the chart; the last reading after `timeoutMs`. With `from`, the drawing must first
 * differ from that digest (a redraw asked for: it comes a moment later); `from` itself when it never does.
 */
export async function settledDigest(page: Page, frame: FrameLocator, selector: string, opts: { from?: string; timeoutMs?: number } = {}): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let last = await canvasDigest(frame, selector);
  while (opts.from !== undefined && last === opts.from && Date.now() < deadline) {
    await page.waitForTimeout(100);
    last = await canvasDigest(frame, selector);
  }
  for (;;) {
    await page.waitForTimeout(250);
    const now = await canvasDigest(frame, selector);
    if (now === last || Date.now() > deadline) return now;
    last = now;
  }
}

/**
 * Answers the save dialog VS Code opens for `showSaveDialog` (in code-server: the simple file dialog, a
 * quick input with the path) with `target`, and waits until the file exists.
 */
export async function saveThroughDialog(page: Page, target: string, timeoutMs = 20_000): Promise<Buffer> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  // The simple save dialog fills in its suggestion after it shows (the folder, then the file name): a path
  // typed before it settles is overwritten. Wait (bounded) until the suggestion names a file and holds still.
  let suggested = await input.inputValue();
  for (const settle = Date.now() + 5_000; Date.now() < settle; ) {
    await page.waitForTimeout(200);
    const now = await input.inputValue();
    if (now === suggested && /\.[A-Za-z0-9]+$/.test(now)) break;
    suggested = now;
  }
  // Enter is ignored until the dialog has validated the typed path, which on a loaded machine can take longer
  // than any fixed pause: while the dialog is open, type the path again if it was replaced, and press Enter
  // again now and then (bounded by the deadline).
  const deadline = Date.now() + timeoutMs;
  let pressedAt = 0;
  while (!fs.existsSync(target) || fs.statSync(target).size === 0) {
    if (Date.now() > deadline) throw new Error(`${target} was not written within ${timeoutMs} ms (the dialog suggested ${suggested}; it shows ${await input.inputValue().catch(() => '(closed)')})`);
    if (await input.isVisible()) {
      if ((await input.inputValue()) !== target) {
        await input.fill(target);
        pressedAt = Date.now();
      } else if (Date.now() - pressedAt > 1_500) {
        await input.press('Enter');
        pressedAt = Date.now();
      }
    }
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

/** Decodes a PNG in the browser page, as an image viewer would, and counts its inked pixels like a chart canvas's. */
export async function pngInk(page: Page, png: Buffer): Promise<CanvasInk> {
  await page.evaluate(async (base64: string) => {
    const doc = (globalThis as any).document;
    const image = new (globalThis as any).Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = doc.createElement('canvas');
    canvas.id = 'flowdeck-png-check';
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    canvas.getContext('2d').drawImage(image, 0, 0);
    doc.body.append(canvas);
  }, png.toString('base64'));
  try {
    return (await canvasInk(page, '#flowdeck-png-check'))[0]!;
  } finally {
    await page.evaluate(() => (globalThis as any).document.getElementById('flowdeck-png-check')?.remove());
  }
}

/**
 * Screenshots for the README in the existing style: the side bar hidden and a taller window, so a whole
 * dashboard section shows; the window is put back afterwards.
 */
export async function inTallWindow(page: Page, shots: () => Promise<void>): Promise<void> {
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  await page.setViewportSize({ width: 1400, height: 1100 });
  await page.waitForTimeout(700); // layout settles; only for the screenshots
  try {
    await shots();
  } finally {
    await page.setViewportSize({ width: 1400, height: 900 });
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  }
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

/**
 * What a Copy button puts on the clipboard: the clipboard is set to a sentinel, `copy` clicks, and the text is
 * read until `ready` accepts it (the copy goes through the host, so it comes a moment later).
 */
export async function copiedText(page: Page, copy: () => Promise<void>, ready: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  await page.evaluate(() => (globalThis as any).navigator.clipboard.writeText('(nothing copied)'));
  await copy();
  let text = '';
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline && !ready(text); ) {
    text = await page.evaluate(() => (globalThis as any).navigator.clipboard.readText());
    await page.waitForTimeout(100);
  }
  return text;
}

/** Colour arithmetic for canvas fills. Pure, so it is tested under node. */

/**
 * `color` at opacity `alpha`, for area fills under a line. Understands the forms VS Code writes
 * (#rgb, #rrggbb, #rrggbbaa, rgb(), rgba()); anything else is returned as is.
 */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3,8})$/i.exec(color.trim());
  if (hex) {
    let digits = hex[1]!;
    if (digits.length === 3 || digits.length === 4) digits = [...digits].map((c) => c + c).join('');
    if (digits.length !== 6 && digits.length !== 8) return color;
    const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(digits.slice(i, i + 2), 16));
    const base = digits.length === 8 ? Number.parseInt(digits.slice(6, 8), 16) / 255 : 1;
    return `rgba(${r}, ${g}, ${b}, ${round(alpha * base)})`;
  }
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/i.exec(color.trim());
  if (rgb) {
    const a = rgb[4] === undefined ? 1 : rgb[4].endsWith('%') ? Number.parseFloat(rgb[4]) / 100 : Number.parseFloat(rgb[4]);
    return `rgba(${rgb[1]}, ${rgb[2]}, ${rgb[3]}, ${round(alpha * a)})`;
  }
  return color;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

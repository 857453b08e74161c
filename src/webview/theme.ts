/**
 * Chart colours come from VS Code's `--vscode-*` variables. Canvas can't use CSS variables, so they are
 * read into a palette and read again whenever the theme changes.
 */
import type { SeriesColor } from './format';

export interface Palette {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  fontFamily: string;
  fontSize: number;
  series: Record<SeriesColor, string>;
}

function variable(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const value = style.getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

function themeKind(body: HTMLElement): Palette['kind'] {
  if (body.classList.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (body.classList.contains('vscode-high-contrast')) return 'high-contrast';
  return body.classList.contains('vscode-light') ? 'light' : 'dark';
}

export function readPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  const kind = themeKind(document.body);
  const light = kind === 'light' || kind === 'high-contrast-light';
  // Fallbacks are VS Code's Dark+/Light+ values, for a page opened outside the editor.
  const foreground = variable(style, '--vscode-foreground', light ? '#616161' : '#cccccc');
  return {
    kind,
    foreground,
    muted: variable(style, '--vscode-descriptionForeground', light ? '#717171' : '#9d9d9d'),
    grid: variable(style, '--vscode-charts-lines', light ? 'rgba(97, 97, 97, 0.5)' : 'rgba(204, 204, 204, 0.5)'),
    background: variable(style, '--vscode-editor-background', light ? '#ffffff' : '#1e1e1e'),
    fontFamily: variable(style, '--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: Number.parseFloat(variable(style, '--vscode-font-size', '13')) || 13,
    series: {
      blue: variable(style, '--vscode-charts-blue', light ? '#1a85ff' : '#3794ff'),
      green: variable(style, '--vscode-charts-green', light ? '#388a34' : '#89d185'),
      red: variable(style, '--vscode-charts-red', light ? '#e51400' : '#f14c4c'),
      orange: variable(style, '--vscode-charts-orange', light ? '#d18616' : '#d18616'),
      purple: variable(style, '--vscode-charts-purple', light ? '#652d90' : '#b180d7'),
      yellow: variable(style, '--vscode-charts-yellow', light ? '#bf8803' : '#cca700'),
      // Two more from the terminal palette, which every theme (high contrast included) defines.
      cyan: variable(style, '--vscode-terminal-ansiCyan', light ? '#0598bc' : '#11a8cd'),
      magenta: variable(style, '--vscode-terminal-ansiMagenta', light ? '#bc05bc' : '#bc3fbc'),
    },
  };
}

/**
 * Calls `onChange` after the theme changes. VS Code swaps the body class (vscode-light, vscode-dark,
 * vscode-high-contrast) and rewrites the variables on <html>; both are watched and coalesced to one call
 * per frame.
 */
export function watchTheme(onChange: (palette: Palette) => void): () => void {
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      onChange(readPalette());
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}

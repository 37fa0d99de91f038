/**
 * Chart colours come only from VS Code's theme variables, read when a chart
 * is drawn. VS Code switches theme by changing the body class (vscode-light,
 * vscode-dark, vscode-high-contrast, vscode-high-contrast-light) and the
 * variables on <html>; both are watched so the charts can be redrawn.
 */

export interface ChartTheme {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  fontFamily: string;
  fontSize: number;
  /** Translated points / the fitted run. */
  primary: string;
  /** Baseline (no translation) / second series. */
  secondary: string;
  /** Targets in the PCA chart. */
  tertiary: string;
  /** The selected pair. */
  highlight: string;
  /** Residual segments. */
  segment: string;
  highContrast: boolean;
}

export function themeKind(): ChartTheme['kind'] {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-dark')) return 'dark';
  return 'light';
}

export function readTheme(): ChartTheme {
  const kind = themeKind();
  const dark = kind === 'dark' || kind === 'high-contrast';
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const foreground = v('--vscode-foreground', dark ? '#cccccc' : '#3b3b3b');
  const highContrast = kind === 'high-contrast' || kind === 'high-contrast-light';
  const size = parseFloat(v('--vscode-font-size', '13px'));
  return {
    kind,
    foreground,
    muted: v('--vscode-descriptionForeground', dark ? '#9d9d9d' : '#717171'),
    grid: highContrast ? v('--vscode-contrastBorder', foreground) : v('--vscode-editorWidget-border', dark ? '#454545' : '#c8c8c8'),
    background: v('--vscode-editor-background', dark ? '#1f1f1f' : '#ffffff'),
    fontFamily: v('--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: Number.isFinite(size) ? size : 13,
    primary: v('--vscode-charts-blue', dark ? '#3794ff' : '#1a85ff'),
    secondary: v('--vscode-charts-orange', dark ? '#d18616' : '#d18616'),
    tertiary: v('--vscode-charts-green', dark ? '#89d185' : '#388a34'),
    highlight: v('--vscode-charts-red', dark ? '#f14c4c' : '#e51400'),
    segment: v('--vscode-charts-lines', v('--vscode-descriptionForeground', dark ? '#9d9d9d' : '#717171')),
    highContrast,
  };
}

/**
 * The colour with its alpha multiplied by `a`. Handles #rgb, #rgba,
 * #rrggbb, #rrggbbaa and rgb()/rgba(); anything else is returned unchanged.
 */
export function withAlpha(color: string, a: number): string {
  const c = color.trim();
  let m = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(c);
  if (m) {
    let hex = m[1];
    if (hex.length <= 4) hex = [...hex].map((x) => x + x).join('');
    const r = parseInt(hex.slice(0, 2), 16);
    const g = parseInt(hex.slice(2, 4), 16);
    const b = parseInt(hex.slice(4, 6), 16);
    const base = hex.length === 8 ? parseInt(hex.slice(6, 8), 16) / 255 : 1;
    return `rgba(${r}, ${g}, ${b}, ${round(base * a)})`;
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/i.exec(c);
  if (m) {
    const base = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${round(base * a)})`;
  }
  return c;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Calls `onChange` (once per frame at most) when the theme changes: the
 * body's class, or the style attribute on <html> where VS Code puts the
 * variables.
 */
export function watchTheme(onChange: () => void): () => void {
  let pending = false;
  let last = themeSignature();
  const obs = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const sig = themeSignature();
      if (sig === last) return;
      last = sig;
      onChange();
    });
  });
  obs.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  obs.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => obs.disconnect();
}

function themeSignature(): string {
  const t = readTheme();
  return [t.kind, t.foreground, t.grid, t.primary, t.secondary, t.tertiary, t.highlight, t.segment, t.fontFamily].join('|');
}

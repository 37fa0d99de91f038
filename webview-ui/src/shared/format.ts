/** Number formatting shared by the webviews. */

export function fixed(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  return minus(v.toFixed(digits));
}

/** Large or tiny magnitudes in exponent form, the rest with `digits` significant digits. */
export function compact(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return minus(v.toExponential(digits - 1));
  return minus(String(Number(v.toPrecision(digits))));
}

export function count(v: number): string {
  return v.toLocaleString('en-US');
}

export function ms(v: number): string {
  return `${v.toFixed(1)} ms`;
}

/** A real minus sign reads better than a hyphen in figures. */
function minus(s: string): string {
  return s.startsWith('-') ? `−${s.slice(1)}` : s;
}

/** The last segment of a path (either separator). */
export function basename(p: string): string {
  return p.split(/[\\/]/).pop() || p;
}

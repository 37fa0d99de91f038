/** The selected held-out pair, shared by the worst-pairs table, the PCA chart and the details line. */
export type SelectionSource = 'table' | 'pca' | 'restore';

export class Selection {
  key: string | null = null;
  private listeners: ((key: string | null, source: SelectionSource) => void)[] = [];

  set(key: string | null, source: SelectionSource): void {
    this.key = key;
    for (const l of this.listeners) l(key, source);
  }

  onChange(l: (key: string | null, source: SelectionSource) => void): void {
    this.listeners.push(l);
  }
}

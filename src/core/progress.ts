/** Progress events from long core jobs; the CLI prints them on stderr, the extension forwards them. */
export type ProgressEvent =
  | { kind: 'step'; step: string }
  | { kind: 'done'; step: string; ms: number }
  | { kind: 'progress'; step: string; fraction: number }
  | { kind: 'warning'; message: string };

export type ProgressListener = (e: ProgressEvent) => void;

/** Runs `fn` as a named step: announces it, times it, records the time. */
export async function timed<T>(step: string, timings: Record<string, number>, onEvent: ProgressListener | undefined, fn: () => Promise<T> | T): Promise<T> {
  onEvent?.({ kind: 'step', step });
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  timings[step] = Math.round(ms * 10) / 10;
  onEvent?.({ kind: 'done', step, ms });
  return out;
}

/**
 * chart.js, tree-shaken: only the controllers, elements, scales and plugins
 * the panel draws with are imported and registered.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { ChartTheme } from '../theme';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, LineController, LineElement, PointElement, ScatterController, Tooltip, Legend);

export { Chart };
export type { ChartConfiguration };

/** Options every chart shares: no animation, theme font and colours. */
export function baseOptions(t: ChartTheme) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    color: t.foreground,
    borderColor: t.grid,
    font: { family: t.fontFamily, size: Math.max(11, t.fontSize - 1) },
    plugins: {
      legend: { labels: { color: t.foreground, boxWidth: 14, font: { family: t.fontFamily } } },
      tooltip: {
        animation: false as const,
        backgroundColor: t.background,
        titleColor: t.foreground,
        bodyColor: t.foreground,
        borderColor: t.grid,
        borderWidth: 1,
        titleFont: { family: t.fontFamily },
        bodyFont: { family: t.fontFamily },
      },
    },
  };
}

export function axis(t: ChartTheme, title: string, extra: Record<string, unknown> = {}) {
  return {
    title: { display: true, text: title, color: t.foreground, font: { family: t.fontFamily } },
    ticks: { color: t.muted, font: { family: t.fontFamily } },
    grid: { color: t.grid, lineWidth: t.highContrast ? 1 : 0.5 },
    border: { color: t.grid },
    ...extra,
  };
}

/** Chart.defaults are global: set the font and colour of the theme before each draw. */
export function applyDefaults(t: ChartTheme): void {
  Chart.defaults.font.family = t.fontFamily;
  Chart.defaults.color = t.foreground;
  Chart.defaults.borderColor = t.grid;
}

export type AnyConfig = ChartConfiguration;

/**
 * Line and bar charts as inline SVG: no script, no font, no URL, so the HTML report is one file
 * that reads the same offline. Pure string building.
 */
import type { Series } from './model.js';

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A round upper bound for the axis: 1, 2, 5 x 10^n. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function tickText(v: number): string {
  if (v >= 1_000_000) return `${+(v / 1_000_000).toFixed(1)}M`;
  if (v >= 1000) return `${+(v / 1000).toFixed(1)}k`;
  return String(+v.toFixed(2));
}

export interface ChartOptions {
  title: string;
  unit: string;
  series: Series[];
  /** 'bar' draws the first series as bars (429s per interval). */
  kind?: 'line' | 'bar';
  /** Series drawn dashed (a budget). */
  dashed?: string[];
  width?: number;
  height?: number;
}

export function chartSvg(o: ChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 260;
  const m = { left: 56, right: 16, top: 28, bottom: 44 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const points = o.series.flatMap((s) => s.points);
  const maxX = Math.max(1, ...points.map((p) => p[0]));
  const maxY = niceMax(Math.max(0, ...points.map((p) => p[1])));
  const x = (v: number) => m.left + (v / maxX) * w;
  const y = (v: number) => m.top + h - (v / maxY) * h;
  const parts: string[] = [];
  parts.push(`<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<title>${escapeXml(o.title)}</title>`);
  parts.push(`<text x="${m.left}" y="16" font-size="13" font-weight="bold">${escapeXml(o.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (maxY * i) / 4;
    parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${tickText(v)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const v = (maxX * i) / 5;
    parts.push(`<text x="${x(v).toFixed(1)}" y="${m.top + h + 16}" text-anchor="middle" fill="#555">${tickText(Math.round(v))}s</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + h}" stroke="#888"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}" stroke="#888"/>`);
  parts.push(`<text x="14" y="${m.top + h / 2}" transform="rotate(-90 14 ${m.top + h / 2})" text-anchor="middle" fill="#555">${escapeXml(o.unit)}</text>`);
  if (points.length === 0) {
    parts.push(`<text x="${m.left + w / 2}" y="${m.top + h / 2}" text-anchor="middle" fill="#888">no samples</text>`);
  }
  o.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    if (o.kind === 'bar' && i === 0) {
      const bw = Math.max(2, Math.min(16, (0.6 * w) / Math.max(10, s.points.length)));
      for (const [px, py] of s.points) {
        parts.push(`<rect class="bar" x="${(x(px) - bw / 2).toFixed(1)}" y="${y(py).toFixed(1)}" width="${bw.toFixed(1)}" height="${(m.top + h - y(py)).toFixed(1)}" fill="${color}"/>`);
      }
      return;
    }
    if (s.points.length === 0) return;
    const d = s.points.map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    const dash = o.dashed?.includes(s.name) ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    if (s.points.length === 1) parts.push(`<circle cx="${x(s.points[0]![0]).toFixed(1)}" cy="${y(s.points[0]![1]).toFixed(1)}" r="3" fill="${color}"/>`);
  });
  let lx = m.left;
  o.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    parts.push(`<rect x="${lx}" y="${height - 14}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${height - 5}">${escapeXml(s.name)}</text>`);
    lx += 24 + s.name.length * 6.5;
  });
  parts.push('</svg>');
  return parts.join('');
}

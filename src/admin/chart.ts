// Spend per day as a stacked bar chart, drawn as SVG on the server: no script, no canvas, nothing to download, and
// it prints. Each bar and segment carries its exact amount as a tooltip; the axis labels round, and say so. Pure.
import { html, raw } from "hono/html";
import type { ReportRow } from "../db/report";
import { formatMicros } from "../usage/cost";

export type DayBar = { day: string; totalMicros: number; requests: number; parts: { name: string; micros: number }[] };
export type DailySeries = { days: DayBar[]; names: string[]; stack: string | null };

/** Stacked segments beyond this many are summed as "other", so the legend stays readable. */
export const MAX_STACK_PARTS = 6;
export const OTHER = "other";

/** Okabe and Ito's palette, told apart with the common forms of colour blindness. */
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"];

/**
 * Rows grouped by day (and by one more dimension, `stack`) as one bar per day of `days`, zero where there was no
 * usage. The stack's largest values over the whole period keep their names; the rest become "other".
 */
export function dailySeries(rows: readonly ReportRow[], days: readonly string[], stack: string | null): DailySeries {
  const totals = new Map<string, number>();
  if (stack) for (const r of rows) totals.set(nameOf(r, stack), (totals.get(nameOf(r, stack)) ?? 0) + r.costMicros);
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([n]) => n);
  const kept = ranked.length > MAX_STACK_PARTS ? ranked.slice(0, MAX_STACK_PARTS - 1) : ranked;
  const names = ranked.length > kept.length ? [...kept, OTHER] : kept;
  const byDay = new Map<string, DayBar>(days.map((d) => [d, { day: d, totalMicros: 0, requests: 0, parts: names.map((name) => ({ name, micros: 0 })) }]));
  for (const r of rows) {
    const bar = byDay.get(r.groups.day ?? "");
    if (!bar) continue;
    bar.totalMicros += r.costMicros;
    bar.requests += r.requests;
    if (!stack) continue;
    const n = nameOf(r, stack);
    const part = bar.parts.find((p) => p.name === (kept.includes(n) ? n : OTHER))!;
    part.micros += r.costMicros;
  }
  return { days: [...byDay.values()], names, stack };
}

function nameOf(r: ReportRow, stack: string): string {
  const v = r.groups[stack as keyof ReportRow["groups"]];
  return v ?? (stack === "team" ? "(no team)" : "-");
}

/** A step of 1, 2 or 5 × 10^k micro-dollars that covers `max` in at most four steps. */
export function niceStep(maxMicros: number): number {
  if (maxMicros <= 0) return 10_000;
  for (let p = 1; ; p *= 10) for (const m of [1, 2, 5]) if (m * p * 4 >= maxMicros) return m * p;
}

/** An axis label: dollars with as many decimals as the step needs (`$1.50`, `$0.0005`); exact for multiples of the step. */
export function axisLabel(micros: number, stepMicros: number): string {
  const decimals = Math.min(6, Math.max(stepMicros >= 1_000_000 ? 0 : 2, 6 - Math.floor(Math.log10(stepMicros))));
  const [whole, frac] = formatMicros(micros).split(".");
  return `$${decimals === 0 ? whole : `${whole}.${frac.slice(0, decimals)}`}`;
}

export const colourOf = (i: number) => PALETTE[i % PALETTE.length];

const W = 760;
const H = 250;
const LEFT = 64;
// Room for the day labels below the "$0" label, with a gap even at the larger font phones get (console.css).
const BOTTOM = 36;
const TOP = 10;

export function chartSvg(series: DailySeries) {
  const max = Math.max(0, ...series.days.map((d) => d.totalMicros));
  const step = niceStep(max);
  const top = step * 4;
  const plotW = W - LEFT - 8;
  const plotH = H - TOP - BOTTOM;
  const slot = plotW / Math.max(1, series.days.length);
  const barW = Math.max(2, Math.min(36, slot * 0.7));
  const y = (micros: number) => TOP + plotH - (micros / top) * plotH;
  const labelEvery = Math.ceil(series.days.length / 10);
  const ticks = [0, 1, 2, 3, 4].map((i) => {
    const v = i * step;
    return html`<line x1="${LEFT}" x2="${W - 8}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"></line
      ><text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${axisLabel(v, step)}</text>`;
  });
  const bars = series.days.map((d, i) => {
    const x = LEFT + i * slot + (slot - barW) / 2;
    const segments = [];
    if (series.stack) {
      let base = 0;
      d.parts.forEach((p, j) => {
        if (p.micros <= 0) return;
        const h = (p.micros / top) * plotH;
        segments.push(
          html`<rect x="${x.toFixed(1)}" y="${y(base + p.micros).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${colourOf(j)}"
            ><title>${d.day} · ${p.name}: ${formatMicros(p.micros)} USD</title></rect
          >`,
        );
        base += p.micros;
      });
    } else if (d.totalMicros > 0) {
      segments.push(
        html`<rect x="${x.toFixed(1)}" y="${y(d.totalMicros).toFixed(1)}" width="${barW.toFixed(1)}" height="${((d.totalMicros / top) * plotH).toFixed(1)}" fill="${colourOf(0)}"
          ><title>${d.day}: ${formatMicros(d.totalMicros)} USD, ${d.requests} requests</title></rect
        >`,
      );
    }
    const label = i % labelEvery === 0 ? html`<text x="${(x + barW / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle">${d.day.slice(5)}</text>` : raw("");
    return html`<g data-day="${d.day}" data-cost="${formatMicros(d.totalMicros)}">${segments}${label}</g>`;
  });
  const first = series.days[0]?.day ?? "";
  const last = series.days.at(-1)?.day ?? "";
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Spend per day from ${first} to ${last}, highest ${formatMicros(max)} USD; the table below lists each day"
    >${ticks}${bars}</svg
  >`;
}

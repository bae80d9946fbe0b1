// The console's periods, as UTC instants with the report's meaning (`since` inclusive, `until` exclusive), and the
// CLI command that prints the same numbers. A custom range names whole days and includes its end date. Pure.

export const PERIODS = ["this-month", "last-month", "7d", "30d", "custom"] as const;
export type PeriodName = (typeof PERIODS)[number];

export type Period = {
  name: PeriodName;
  since: Date;
  until: Date;
  /** `2026-12-01` … `2026-12-31`: the first and last day included. */
  firstDay: string;
  lastDay: string;
  label: string;
};

export type PeriodChoice = { period?: string; from?: string; to?: string };
export type ResolvedPeriod = { ok: true; period: Period } | { ok: false; field: "period" | "from" | "to"; message: string };

const DAY_MS = 86_400_000;
/** Longest custom range: a chart of more days than this is unreadable, and the report covers it anyway. */
export const MAX_CUSTOM_DAYS = 400;

const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);
const startOfDay = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;

/** A `YYYY-MM-DD` that exists, as the UTC midnight it starts at; null otherwise. */
export function parseDay(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return dayOf(t) === text.trim() ? t : null;
}

function make(name: PeriodName, since: number, until: number, label: string): Period {
  return { name, since: new Date(since), until: new Date(until), firstDay: dayOf(since), lastDay: dayOf(until - 1), label };
}

export function resolvePeriod(choice: PeriodChoice, now: number): ResolvedPeriod {
  const name = (choice.period ?? "this-month") as PeriodName;
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  const today = startOfDay(now);
  const monthName = (t: number) => new Date(t).toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
  switch (name) {
    case "this-month":
      return { ok: true, period: make(name, Date.UTC(y, mo, 1), Date.UTC(y, mo + 1, 1), `This month (${monthName(now)})`) };
    case "last-month":
      return { ok: true, period: make(name, Date.UTC(y, mo - 1, 1), Date.UTC(y, mo, 1), `Last month (${monthName(Date.UTC(y, mo - 1, 1))})`) };
    case "7d":
    case "30d": {
      // Whole UTC days ending today, so every bar of the chart is a full day and today is included.
      const days = name === "7d" ? 7 : 30;
      return { ok: true, period: make(name, today - (days - 1) * DAY_MS, today + DAY_MS, `Last ${days} days`) };
    }
    case "custom": {
      const from = parseDay(choice.from ?? "");
      if (from === null) return { ok: false, field: "from", message: "From must be a date such as 2026-12-01." };
      const to = parseDay(choice.to ?? "");
      if (to === null) return { ok: false, field: "to", message: "To must be a date such as 2026-12-31." };
      if (to < from) return { ok: false, field: "to", message: "To must not be before From." };
      if ((to - from) / DAY_MS + 1 > MAX_CUSTOM_DAYS) return { ok: false, field: "to", message: `A custom range covers at most ${MAX_CUSTOM_DAYS} days.` };
      return { ok: true, period: make(name, from, to + DAY_MS, `${dayOf(from)} to ${dayOf(to)}`) };
    }
    default:
      return { ok: false, field: "period", message: `Period must be one of ${PERIODS.join(", ")}.` };
  }
}

/** Every UTC day of a period, in order. */
export function daysOf(p: Pick<Period, "since" | "until">): string[] {
  const out: string[] = [];
  for (let t = startOfDay(p.since.getTime()); t < p.until.getTime(); t += DAY_MS) out.push(dayOf(t));
  return out;
}

/** The CLI command that prints the same table (`--until` is exclusive, hence the day after the last). */
export function cliCommandFor(p: Pick<Period, "since" | "until">, by: string, filter: { user?: string; team?: string } = {}): string {
  const words = ["bedrock-gateway usage report", `--since ${dayOf(p.since.getTime())}`, `--until ${dayOf(p.until.getTime())}`, `--by ${by}`];
  if (filter.user) words.push(`--user ${filter.user}`);
  if (filter.team) words.push(`--team '${filter.team.replace(/'/g, "'\\''")}'`);
  return words.join(" ");
}

// The query words of the console's JSON API (and GET /admin/usage), as zod schemas for zValidator (validQuery): a
// failure is a 400 `invalid_query` naming the word. The words mean what the console pages and the CLI's flags mean:
// the parsing itself is parseReportQuery's and resolvePeriod's, shared with them.
import { z } from "zod";
import type { Clock } from "../deps";
import { once } from "../http/query";
import { parseReportQuery } from "../report/query";
import { STACKS, type Stack } from "./data";
import { resolvePeriod } from "./periods";
import { MAX_REQUEST_ROWS, REQUEST_STATUSES } from "./requests";

const words = { user: once("user"), team: once("team") };
const ReportWords = z.object({ since: once("since"), until: once("until"), by: once("by"), ...words });

/** The report's words (as the CLI's flags, parsed by parseReportQuery) at the clock's now, and the export format. */
export const reportQuery = (clock: Clock) =>
  ReportWords.extend({ format: z.enum(["json", "csv"], { error: "format must be json or csv." }).optional() }).transform((w, ctx) => {
    const parsed = parseReportQuery(w, clock.now());
    if (parsed.ok) return { ...parsed.query, format: w.format ?? "json" };
    ctx.addIssue({ code: "custom", path: [parsed.param], message: parsed.message });
    return z.NEVER;
  });

/** The console's period (this-month, last-month, 7d, 30d or custom from/to), stacking and filters. */
export const dailyQuery = (clock: Clock) =>
  z
    .object({
      period: once("period"),
      from: once("from"),
      to: once("to"),
      stack: z.enum(STACKS, { error: `stack must be one of ${STACKS.join(", ")}.` }).optional(),
      ...words,
    })
    .transform((w, ctx) => {
      const p = resolvePeriod(w, clock.now());
      if (p.ok) return { period: p.period, stack: (w.stack ?? "none") as Stack, user: w.user || undefined, team: w.team || undefined };
      ctx.addIssue({ code: "custom", path: [p.field], message: p.message });
      return z.NEVER;
    });

export const RequestsQuery = z.object({
  ...words,
  model: once("model"),
  key: once("key"),
  status: z.enum(REQUEST_STATUSES, { error: `status must be one of ${REQUEST_STATUSES.join(", ")}.` }).optional(),
  before: z
    .string({ error: "before must be given once." })
    .regex(/^\d{1,15}$/, "before must be a request row id (an integer).")
    .optional(),
  limit: z
    .string({ error: "limit must be given once." })
    .regex(/^\d{1,4}$/, `limit must be an integer between 1 and ${MAX_REQUEST_ROWS}.`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_REQUEST_ROWS, `limit must be an integer between 1 and ${MAX_REQUEST_ROWS}.`)
    .optional(),
});

export const BudgetsQuery = z.object({ team: words.team });
export const KeysQuery = z.object(words);

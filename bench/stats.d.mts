export function percentile(values: ArrayLike<number> & Iterable<number>, p: number): number | null;
export function slope(points: { x: number; y: number | null }[]): number | null;
export function added(a: number | null | undefined, b: number | null | undefined): number | null;
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null;
export type Check = { value: number | null | undefined; op: "<=" | ">=" | "=="; limit: number | undefined };
export function verdict(checks: Check[]): "met" | "missed" | "not measured";
export type Figures = {
  c1?: { addedP50: number | null; addedP99: number | null };
  c64?: { rps: number | null; directRps: number | null; portkeyRps: number | null };
  streamC1?: { addedTtftP50: number | null };
  held?: { kibPerStream: number | null; opened: number; count: number; errors: number };
  disconnects?: { cancelled: number; dropped: number };
};
export function judgeTargets(f: Figures): { target: string; value: string; verdict: "met" | "missed" | "not measured" }[];

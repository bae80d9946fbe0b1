/** How many cases each property tries: a bounded number in `npm test`, many more under `npm run fuzz` (FUZZ_RUNS). */
export const RUNS = Number(process.env.FUZZ_RUNS) > 0 ? Number(process.env.FUZZ_RUNS) : 150;

/** fast-check parameters shared by every property: the seed is printed on failure, so a failing case can be replayed. */
export const params = (runs = RUNS) => ({ numRuns: runs, endOnFailure: true });

// Types for scripts/patch-postgres.mjs (the project does not type-check plain JavaScript).
export declare const PATCHED_VERSION: string;
export declare const COPIES: readonly string[];
export declare const MARKER: string;
export declare const EDITS: readonly { name: string; from: string; to: string }[];
export declare function patchConnectionSource(text: string, label?: string): { status: "patched" | "already-patched"; text: string };
export declare function patchPostgresPackage(dir: string): {
  version: string;
  results: { copy: string; status: "patched" | "already-patched" }[];
};

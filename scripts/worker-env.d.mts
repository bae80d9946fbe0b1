// Types for scripts/worker-env.mjs (the project does not type-check plain JavaScript).
export declare const NOT_FOR_WORKER: ReadonlySet<string>;
export declare function configVariableNames(root: string): string[];
export declare const SECRETS: ReadonlySet<string>;
export declare function workerSettings(
  env: Record<string, string | undefined>,
  names: readonly string[],
): { vars: Record<string, string>; secrets: Record<string, string> };
export declare function varArgs(vars: Record<string, string>): string[];
export declare function toDotenv(vars: Record<string, string>): string;

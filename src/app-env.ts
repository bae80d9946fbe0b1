import type { ApiKeyRecord } from "./db/keys";
import type { RequestScope } from "./deps";
import type { Identity } from "./gateway/identity";
import type { UsageDraft } from "./usage/draft";

/** Per-request values set by middleware. */
export type AppEnv = {
  Variables: {
    requestId: string;
    /** This request's database and background-work hooks, on every runtime (see gateway/scope.ts). */
    scope: RequestScope;
    /** Set by the key middleware for key callers; `identity` is what the core reads. */
    apiKey: ApiKeyRecord;
    identity: Identity;
    usage: UsageDraft;
    /** The door's signal for its Bedrock calls: the client's, plus the graceful stop's (gateway/in-flight.ts). */
    signal: AbortSignal;
  };
};

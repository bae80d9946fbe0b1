import type { ApiKeyRecord } from "./db/keys";
import type { UsageDraft } from "./usage/draft";

/** Per-request values set by middleware. */
export type AppEnv = {
  Variables: {
    requestId: string;
    apiKey: ApiKeyRecord;
    usage: UsageDraft;
  };
};

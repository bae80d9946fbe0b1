// Shapes shared by the credential sources. Temporary credentials carry their expiry as epoch milliseconds.
import type { AwsCredentials } from "../../../bedrock/client";

export type Env = Record<string, string | undefined>;
export type TemporaryCredentials = AwsCredentials & { expiration?: number };

/** What a source produced, with what may be logged about it (never a secret). */
export type Loaded = { credentials: TemporaryCredentials; identity: Record<string, string | undefined> };

/** Everything a source needs from the outside, injectable for tests. */
export type SourceContext = {
  env: Env;
  /** Region for STS when a profile names none (AWS_REGION). */
  region: string;
  /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN as the gateway's configuration parsed them. */
  environmentCredentials?: AwsCredentials;
  fetch: typeof fetch;
  clock: () => number;
  homedir: string;
  /** The ECS credentials host for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (tests point it at a fake). */
  ecsHost: string;
};

/** A failure whose message is safe to log and says what to fix. */
export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CredentialsError";
  }
}

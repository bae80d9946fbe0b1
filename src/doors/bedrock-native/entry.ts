/**
 * What runs on every Bedrock-native request before authentication: the gateway's request id as AWS's
 * `x-amzn-RequestId` (the AWS SDKs report it as `$metadata.requestId`), and the refusal of requests the caller
 * signed with AWS credentials. Bedrock API keys travel as `Authorization: Bearer`; a SigV4 signature (header or
 * presigned query) means the caller holds AWS credentials the gateway does not take, so the answer says which
 * credential to use instead.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../app-env";
import { GatewayError } from "../../errors";
import type { Logger } from "../../logger";

const SIGV4_MESSAGE =
  "This gateway does not accept requests signed with AWS credentials (SigV4): it holds the only AWS credentials and signs for Bedrock itself. Send a gateway key as a Bearer token instead: Authorization: Bearer <gateway key> (AWS SDKs and Claude Code: AWS_BEARER_TOKEN_BEDROCK=<gateway key>).";

export function isCallerSigned(authorization: string | undefined, url: string): boolean {
  if (authorization && /^\s*AWS4-HMAC-SHA256\b/i.test(authorization)) return true;
  const query = url.indexOf("?");
  return query >= 0 && /[?&]x-amz-(signature|algorithm|credential)=/i.test(url.slice(query));
}

export function bedrockDoorEntry(logger: Logger): MiddlewareHandler<AppEnv> {
  return async function bedrockDoorEntry(c, next) {
    const id = c.get("requestId");
    if (id) c.header("x-amzn-RequestId", id);
    if (isCallerSigned(c.req.header("authorization"), c.req.url)) {
      logger.info("request rejected", { requestId: id, reason: "caller_signed_request", path: c.req.path });
      throw new GatewayError({ status: 403, type: "authentication_error", code: "caller_signed_request", message: SIGV4_MESSAGE });
    }
    await next();
  };
}

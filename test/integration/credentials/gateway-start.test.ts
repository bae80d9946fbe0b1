/**
 * The gateway as a real process (`node dist/node.js`): at start it says which AWS credential source it found, and
 * a chat completion is then signed with what that source handed out (the simulator accepts only those keys).
 */
import { describe, expect, it } from "vitest";
import { createKey } from "../../../src/db/keys";
import { randomId, systemClock } from "../../../src/deps";
import { testDatabaseUrl } from "../../support/db";
import { startGatewayProcess } from "../../support/gateway-process";
import { processTestBed } from "../../support/process-bed";
import { answer, HOUR, isolatedEnv, json, startFake } from "./fakes";

const TASK = { accessKeyId: "ASIATASKROLE00000001", secretAccessKey: "task/role+secret", sessionToken: "task-session-token" };
const ROLE_ARN = "arn:aws:iam::123456789012:role/bedrock-gateway-task";

const bed = processTestBed([TASK]);

const logLines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("node dist/node.js credentials at start", () => {
  it("logs the container source and its role, then signs Bedrock calls with the task role's keys", async () => {
    const agent = await startFake(() =>
      json(answer("ecs-task-credentials.json", { ...TASK, token: TASK.sessionToken, expiration: Date.now() + 6 * HOUR, roleArn: ROLE_ARN })),
    );
    const gw = await startGatewayProcess("node", {
      ...(isolatedEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/v2/credentials/task`, AWS_CONTAINER_AUTHORIZATION_TOKEN: "agent-token" }) as Record<
        string,
        string
      >),
      DATABASE_URL: testDatabaseUrl(),
      MIGRATE_ON_START: "false",
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bed.sim.url,
      AWS_ENDPOINT_URL_BEDROCK: bed.sim.url,
      AWS_REGION: "us-east-1",
      LOG_LEVEL: "info",
    });
    try {
      const key = await createKey(bed.tdb.db, { user: `creds-${randomId(6)}@test.local` }, systemClock);
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hello" }] }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const lines = logLines(gw.logs());
      const credentialLines = lines.filter((l) => String(l.msg).includes("credentials"));
      expect(credentialLines).toEqual([expect.objectContaining({ level: "info", msg: "aws credentials", source: "container", roleArn: ROLE_ARN })]);
      // Said before the server listens, so the first line an operator reads about AWS is this one.
      expect(lines.findIndex((l) => l.msg === "aws credentials")).toBeLessThan(lines.findIndex((l) => l.msg === "bedrock-gateway listening"));
      for (const secret of [TASK.secretAccessKey, TASK.sessionToken, "agent-token"]) expect(gw.logs()).not.toContain(secret);
    } finally {
      await gw.stop("SIGKILL");
    }
  });

  it("warns once, listing what it tried, when there are no credentials, and still serves", async () => {
    const gw = await startGatewayProcess("node", {
      ...(isolatedEnv() as Record<string, string>),
      DATABASE_URL: testDatabaseUrl(),
      MIGRATE_ON_START: "false",
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bed.sim.url,
      AWS_ENDPOINT_URL_BEDROCK: bed.sim.url,
      LOG_LEVEL: "info",
    });
    try {
      const warn = logLines(gw.logs()).filter((l) => l.level === "warn");
      expect(warn).toEqual([
        expect.objectContaining({
          msg: "no usable AWS credentials; Bedrock calls fail until a source provides them",
          tried: expect.arrayContaining(["instance-metadata: disabled by AWS_EC2_METADATA_DISABLED"]),
        }),
      ]);
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    } finally {
      await gw.stop("SIGKILL");
    }
  });
});

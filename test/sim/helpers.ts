/** Shared fixtures for the simulator tests: a simulator per file, the official SDK client, aws4fetch, sample data. */
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll } from "vitest";
import { SIM_CREDENTIALS, startSimulator, type Simulator, type SimulatorOptions } from "../../sim/server";

export const SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
export const NOVA = "us.amazon.nova-pro-v1:0";
export const LLAMA = "us.meta.llama3-3-70b-instruct-v1:0";
export const HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0";

/** A real 1×1 PNG (magic bytes matter: the simulator checks them like Bedrock does). */
export const PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
export const PDF_MIN = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").toString("base64");

export const WEATHER_TOOL = {
  toolSpec: {
    name: "get_weather",
    description: "Current weather for a city",
    inputSchema: {
      json: {
        type: "object",
        properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] }, days: { type: "integer", minimum: 1 } },
        required: ["city", "unit"],
      },
    },
  },
};
export const TIME_TOOL = { toolSpec: { name: "get_time", inputSchema: { json: { type: "object", properties: {} } } } };

/** Starts one simulator for the calling test file and stops it afterwards. */
export function useSimulator(opts: SimulatorOptions = {}): { sim: () => Simulator } {
  let sim: Simulator | undefined;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, ...opts });
  });
  afterAll(async () => sim?.close());
  return { sim: () => sim! };
}

export function sdkClient(sim: Simulator, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = SIM_CREDENTIALS) {
  return new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: sim.url,
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });
}

export function awsFetch(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = SIM_CREDENTIALS) {
  return new AwsClient({ ...credentials, service: "bedrock", region: "us-east-1", retries: 0 });
}

/** POSTs a signed JSON body with aws4fetch, the way the gateway does. */
export async function signedPost(sim: Simulator, modelId: string, op: string, body: unknown, aws = awsFetch()): Promise<Response> {
  return aws.fetch(`${sim.url}/model/${encodeURIComponent(modelId)}/${op}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
}

export function user(text: string) {
  return { role: "user" as const, content: [{ text }] };
}

/** Polls until `check` passes or the deadline expires (for effects the server notices asynchronously). */
export async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

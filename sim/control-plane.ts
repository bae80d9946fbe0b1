/**
 * Control plane (service `bedrock`, host bedrock.<region>.amazonaws.com in real AWS): ListFoundationModels,
 * GetFoundationModel, ListInferenceProfiles, GetInferenceProfile, answered from sim/models.ts.
 */
import { SimError } from "./errors";
import { foundationModelArn, inferenceProfileArn, SIM_MODELS, type SimModel } from "./models";

const CREATED = "2024-08-01T00:00:00Z";
const REGIONS: Record<string, string[]> = {
  us: ["us-east-1", "us-east-2", "us-west-2"],
  eu: ["eu-central-1", "eu-west-1", "eu-west-3"],
  apac: ["ap-northeast-1", "ap-southeast-1", "ap-southeast-2"],
  global: ["us-east-1", "eu-west-1", "ap-northeast-1"],
};
const GEO_NAME: Record<string, string> = { us: "US", eu: "EU", apac: "APAC", global: "Global" };

function summary(region: string, m: SimModel) {
  return {
    modelArn: foundationModelArn(region, m.id),
    modelId: m.id,
    modelName: m.name,
    providerName: m.provider,
    inputModalities: m.inputModalities,
    outputModalities: m.outputModalities,
    responseStreamingSupported: m.kind === "chat",
    customizationsSupported: [],
    inferenceTypesSupported: m.inferenceTypes,
    modelLifecycle: { status: "ACTIVE" },
  };
}

function profiles(region: string) {
  return SIM_MODELS.flatMap((m) =>
    m.profiles.map((geo) => {
      const id = `${geo}.${m.id}`;
      const name = `${GEO_NAME[geo]} ${m.name}`;
      return {
        inferenceProfileName: name,
        inferenceProfileArn: inferenceProfileArn(region, id),
        inferenceProfileId: id,
        description: `Routes requests to ${m.name} in ${REGIONS[geo]!.join(", ")}.`,
        status: "ACTIVE",
        type: "SYSTEM_DEFINED",
        models: REGIONS[geo]!.map((r) => ({ modelArn: foundationModelArn(r, m.id) })),
        createdAt: CREATED,
        updatedAt: CREATED,
      };
    }),
  );
}

/** Answers a control-plane GET, or returns undefined when the path is not one. */
export function controlPlane(region: string, path: string, query: URLSearchParams): unknown {
  if (path === "/foundation-models") {
    const provider = query.get("byProvider")?.toLowerCase();
    const output = query.get("byOutputModality");
    const inference = query.get("byInferenceType");
    const models = SIM_MODELS.filter(
      (m) =>
        (!provider || m.provider.toLowerCase() === provider) &&
        (!output || m.outputModalities.includes(output)) &&
        (!inference || m.inferenceTypes.includes(inference as SimModel["inferenceTypes"][number])),
    );
    return { modelSummaries: models.map((m) => summary(region, m)) };
  }
  const fm = /^\/foundation-models\/([^/]+)$/.exec(path);
  if (fm) {
    const id = decodeURIComponent(fm[1]!);
    const m = SIM_MODELS.find((x) => x.id === id || foundationModelArn(region, x.id) === id);
    if (!m) throw new SimError("ValidationException", "The provided model identifier is invalid.");
    return { modelDetails: summary(region, m) };
  }
  if (path === "/inference-profiles") {
    const type = query.get("type") ?? "SYSTEM_DEFINED";
    const max = Math.min(Number(query.get("maxResults") ?? 1000) || 1000, 1000);
    const all = type === "SYSTEM_DEFINED" ? profiles(region) : [];
    const start = Number(query.get("nextToken") ?? 0) || 0;
    const page = all.slice(start, start + max);
    return { inferenceProfileSummaries: page, ...(start + max < all.length ? { nextToken: String(start + max) } : {}) };
  }
  const ip = /^\/inference-profiles\/([^/]+)$/.exec(path);
  if (ip) {
    const id = decodeURIComponent(ip[1]!);
    const p = profiles(region).find((x) => x.inferenceProfileId === id || x.inferenceProfileArn === id);
    if (!p) throw new SimError("ResourceNotFoundException", "Inference profile not found.");
    return p;
  }
  return undefined;
}

/** For jsonBody's raw hook: lets a rejected request's usage row still name the model it asked for. */
export function noteRequestedModel(raw: unknown, c: { get(key: "usage"): { model: string | null } }): void {
  const model = (raw as { model?: unknown } | null)?.model;
  if (typeof model === "string") c.get("usage").model = model.slice(0, 256);
}

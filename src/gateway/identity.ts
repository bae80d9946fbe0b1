import type { KeyPrincipal } from "../db/keys";
import type { Policy, PolicyLevels } from "../policy/limits";

/** Who is calling, whatever the door: an issued key, or a JWT from the company's identity provider. */
export type Identity = {
  auth: "key" | "jwt";
  /** null for JWT callers. */
  keyId: string | null;
  keyPrefix: string | null;
  user: string;
  team: string | null;
  /** The policy at each level that applies; a level without a row has no limits. */
  levels: PolicyLevels;
};

function keyPolicy(k: KeyPrincipal): Policy {
  return {
    allowedModels: k.allowedModels,
    rpmLimit: k.rpmLimit,
    tpmLimit: k.tpmLimit,
    budgetDailyMicros: k.budgetDailyMicros,
    budgetMonthlyMicros: k.budgetMonthlyMicros,
  };
}

export function identityOfKey(k: KeyPrincipal): Identity {
  const levels: PolicyLevels = {
    key: { subject: `key:${k.id}`, policy: keyPolicy(k) },
    user: { subject: `user:${k.user}`, policy: k.userPolicy },
  };
  if (k.team !== null) levels.team = { subject: `team:${k.team}`, policy: k.teamPolicy };
  return { auth: "key", keyId: k.id, keyPrefix: k.prefix, user: k.user, team: k.team, levels };
}

export function identityOfJwt(user: string, team: string | null, userPolicy: Policy | null, teamPolicy: Policy | null): Identity {
  const levels: PolicyLevels = { user: { subject: `user:${user}`, policy: userPolicy } };
  if (team !== null) levels.team = { subject: `team:${team}`, policy: teamPolicy };
  return { auth: "jwt", keyId: null, keyPrefix: null, user, team, levels };
}

/** The model lists of every level, key first. */
export function modelLists(id: Identity): (string[] | null)[] {
  return [id.levels.key?.policy?.allowedModels ?? null, id.levels.user?.policy?.allowedModels ?? null, id.levels.team?.policy?.allowedModels ?? null];
}

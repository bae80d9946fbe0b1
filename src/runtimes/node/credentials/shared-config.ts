// The shared config and credentials files (~/.aws/config, ~/.aws/credentials) as AWS's SDKs read them
// (https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html). Pure: the caller reads the files.

export type Profile = Record<string, string>;
export type Profiles = Record<string, Profile>;

/**
 * INI sections and their `key = value` pairs. Full-line comments start with `#` or `;`; so does an inline comment
 * after whitespace. Indented lines under an empty `key =` are sub-properties (e.g. `s3 =`), kept as `key.sub`.
 */
export function parseIni(text: string): Record<string, Profile> {
  const sections: Record<string, Profile> = Object.create(null);
  let section: string | undefined;
  let parent: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.split(/(?:^|\s)[;#]/)[0]!.trim();
    if (line.startsWith("[") && line.endsWith("]")) {
      section = line.slice(1, -1).trim();
      parent = undefined;
      continue;
    }
    const eq = line.indexOf("=");
    if (section === undefined || eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (value === "") {
      parent = key;
      continue;
    }
    if (parent && raw.trimStart() === raw) parent = undefined;
    sections[section] ??= Object.create(null) as Profile;
    sections[section]![parent ? `${parent}.${key}` : key] = value;
  }
  return sections;
}

/**
 * Profiles from both files. In the config file a profile is `[default]` or `[profile NAME]` (other section types
 * such as `[sso-session …]` are not profiles); in the credentials file it is `[NAME]`. Keys from the credentials
 * file win over the config file's for the same profile.
 */
export function mergeProfiles(configText: string | undefined, credentialsText: string | undefined): Profiles {
  const out: Profiles = Object.create(null);
  for (const [name, values] of Object.entries(parseIni(configText ?? ""))) {
    const m = /^profile\s+(.+)$/.exec(name);
    const profile = m ? m[1]!.trim().replace(/^(["'])(.*)\1$/, "$2") : name === "default" ? "default" : undefined;
    if (profile !== undefined) out[profile] = { ...out[profile], ...values };
  }
  for (const [name, values] of Object.entries(parseIni(credentialsText ?? ""))) {
    out[name] = { ...out[name], ...values };
  }
  return out;
}

export type ProfileKind = "assume-role" | "static" | "web-identity" | "process" | "sso" | "none";

/** Which way a profile yields credentials, in the order the SDKs check (role assumption first). */
export function profileKind(p: Profile | undefined): ProfileKind {
  if (!p) return "none";
  if (p.role_arn && (p.source_profile !== undefined || p.credential_source !== undefined)) return "assume-role";
  if (p.aws_access_key_id && p.aws_secret_access_key) return "static";
  if (p.web_identity_token_file && p.role_arn) return "web-identity";
  if (p.credential_process) return "process";
  if (p.sso_session || p.sso_start_url || p.sso_account_id || p.sso_role_name) return "sso";
  return "none";
}

// Reading STS's Query-protocol XML answers: <{Action}Response><{Action}Result><Credentials>… on success and
// <ErrorResponse><Error><Code>/<Message> on failure
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html). Pure; no XML library,
// because these answers are flat text elements.

export type StsCredentials = { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: number; assumedRoleArn?: string };

/** The credentials in a successful `action` answer, or null when the document does not hold them. */
export function parseStsCredentials(xml: string, action: string): StsCredentials | null {
  const result = element(xml, `${action}Result`);
  const creds = result === null ? null : element(result, "Credentials");
  if (creds === null) return null;
  // Keys and tokens never contain whitespace; AWS's formatted examples wrap long tokens across lines.
  const accessKeyId = compact(text(creds, "AccessKeyId"));
  const secretAccessKey = compact(text(creds, "SecretAccessKey"));
  const sessionToken = compact(text(creds, "SessionToken"));
  const expirationText = text(creds, "Expiration");
  const expiration = expirationText === null ? Number.NaN : Date.parse(expirationText);
  if (!accessKeyId || !secretAccessKey || !sessionToken || !Number.isFinite(expiration)) return null;
  const user = element(result!, "AssumedRoleUser");
  return { accessKeyId, secretAccessKey, sessionToken, expiration, assumedRoleArn: (user !== null && text(user, "Arn")) || undefined };
}

/** Code and Message of an `<ErrorResponse>`, or null when the body is not one. */
export function parseStsError(xml: string): { code: string; message: string } | null {
  const error = element(xml, "Error");
  if (error === null) return null;
  const code = text(error, "Code");
  if (!code) return null;
  return { code, message: text(error, "Message") ?? "" };
}

/** The inner XML of the first element named `name` (any namespace prefix), or null. */
function element(xml: string, name: string): string | null {
  const re = new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}\\s*>`);
  const m = re.exec(xml);
  return m ? m[1]! : null;
}

function text(xml: string, name: string): string | null {
  const inner = element(xml, name);
  return inner === null ? null : decode(inner).trim();
}

function compact(s: string | null): string | null {
  return s === null ? null : s.replace(/\s+/g, "");
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(s: string): string {
  const cdata = /^\s*<!\[CDATA\[([\s\S]*)\]\]>\s*$/.exec(s);
  if (cdata) return cdata[1]!;
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

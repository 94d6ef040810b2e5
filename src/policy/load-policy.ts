import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { compilePolicy, type Policy } from './policy.js';
import { policyFile } from './schema.js';

/** A policy is a page of rules; anything this big is a mistake (or an attack on the parser). */
const MAX_FILE_BYTES = 1024 * 1024;

/** A policy as loaded: the compiled rules and a digest of the text, to tell a change from a reload of the same file. */
export interface LoadedPolicy {
  policy: Policy;
  digest: string;
}

/** A policy file loaded, or every problem it has. */
export type PolicyLoad = { ok: true; loaded: LoadedPolicy } | { ok: false; problems: string[] };

/** Why a policy file cannot be used, every problem listed; thrown to the reloader. */
export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Reads, parses (YAML, or JSON, which YAML reads too) and checks a policy file; never throws. */
export async function loadPolicy(file: string): Promise<PolicyLoad> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) return { ok: false, problems: [`${file} is not a file`] };
    if (info.size > MAX_FILE_BYTES) return { ok: false, problems: [`${file} is larger than ${MAX_FILE_BYTES} bytes`] };
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`] };
  }
  const parsed = parsePolicyText(text);
  if (!parsed.ok) return parsed;
  return { ok: true, loaded: { policy: parsed.policy, digest: createHash('sha256').update(text).digest('hex') } };
}

/** Parses and checks a policy's text; every problem is reported, each naming where it is. */
export function parsePolicyText(text: string): { ok: true; policy: Policy } | { ok: false; problems: string[] } {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  // The message's first line says what and where ("... at line 2, column 1:"); then comes a code excerpt.
  if (doc.errors.length > 0) return { ok: false, problems: doc.errors.map((e) => firstLine(e.message)) };
  let data: unknown;
  try {
    // Aliases are capped, so a "billion laughs" document is refused instead of expanded.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, problems: [err instanceof Error ? err.message : String(err)] };
  }
  const result = policyFile.safeParse(data);
  if (!result.success) return { ok: false, problems: result.error.issues.map(describeIssue) };
  return compilePolicy(result.data);
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.replace(/:$/, '');
}

const TOP_KEYS = 'a policy has default, caseSensitive and rules';
const RULE_KEYS = 'a rule has path, methods, and allow or anyRole, allRoles, claims';

/** `rules[2].anyRole[0]: <message>`, the way a person finds it in the file. */
function describeIssue(issue: z.core.$ZodIssue): string {
  let where = '';
  for (const key of issue.path) where += typeof key === 'number' ? `[${key}]` : where === '' ? String(key) : `.${String(key)}`;
  const keys =
    issue.code === 'unrecognized_keys'
      ? `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (${issue.path.length === 0 ? TOP_KEYS : RULE_KEYS})`
      : undefined;
  return `${where === '' ? 'policy' : where}: ${keys ?? issue.message}`;
}

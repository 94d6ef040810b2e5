import { loadPolicy } from './load-policy.js';

/** A summary line for `check-config`, or every problem of the file. */
export type PolicyCheck = { ok: true; line: string } | { ok: false; problems: string[] };

/** `tokengate check-config`'s verdict on POLICY_FILE: one line for the summary, or every problem. */
export async function checkPolicyFile(file: string | undefined): Promise<PolicyCheck> {
  if (file === undefined) return { ok: true, line: 'policy:   none (POLICY_FILE unset): every path needs a valid identity' };
  const result = await loadPolicy(file);
  if (!result.ok) return result;
  const { policy } = result.loaded;
  const rules = `${policy.rules.length} ${policy.rules.length === 1 ? 'rule' : 'rules'}`;
  return { ok: true, line: `policy:   ${file}: ${rules}, unmatched paths ${policy.default.kind}${policy.caseSensitive ? '' : ', case-insensitive'}` };
}

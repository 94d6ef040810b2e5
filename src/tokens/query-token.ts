/**
 * Splits `jwt=` parameters off a request target. The name is matched literally, never
 * percent-decoded, exactly as the nginx template's `map $args` does, so a token the signer
 * accepts from the URL is always one nginx strips before proxying.
 */
export function splitJwtParams(target: string): { tokens: string[]; rest: string } {
  const q = target.indexOf('?');
  if (q === -1) return { tokens: [], rest: target };
  const tokens: string[] = [];
  const kept: string[] = [];
  for (const part of target.slice(q + 1).split('&')) {
    if (part.startsWith('jwt=')) tokens.push(part.slice(4));
    else if (part !== '') kept.push(part);
  }
  return { tokens, rest: kept.length > 0 ? `${target.slice(0, q)}?${kept.join('&')}` : target.slice(0, q) };
}

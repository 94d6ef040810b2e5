/** `map $args $tokengate_args`, first entry: `jwt=` leading the query. */
const LEADING = /^jwt=[^&]*&?(.*)$/;
/** Second entry: the first `&jwt=` further on. */
const LATER = /^(.*?)&jwt=[^&]*(.*)$/;

/**
 * The request target the app receives: the query without its `jwt=` parameter, as the nginx map
 * `$tokengate_args` (nginx/snippets/tokengate-http.conf.template) cuts it, and nothing else
 * touched (`&&` and a trailing `&` stay), so both fronts send the app the same URL. The signer
 * refuses a second `jwt=` (see `splitJwtParams`), so one cut is all a forwarded request needs.
 */
export function withoutJwtParam(target: string): string {
  const q = target.indexOf('?');
  if (q === -1) return target;
  const args = target.slice(q + 1);
  const leading = LEADING.exec(args);
  const later = leading ? undefined : LATER.exec(args);
  const rest = leading ? leading[1]! : later ? `${later[1]}${later[2]}` : args;
  // nginx writes no `?` for an empty $args.
  return rest === '' ? target.slice(0, q) : `${target.slice(0, q)}?${rest}`;
}

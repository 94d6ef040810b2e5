/**
 * What both fronts send the app besides the client's own headers, as one list each: the nginx
 * protect snippet (`nginx/snippets/tokengate-protect.conf`) and the embedded front are both
 * tested against these lists, so neither can forward what the other drops.
 */

/**
 * Client headers never passed on: each would make the app see another request than the one the
 * signer judged (another method, path, scheme, host, port or client address). nginx clears each
 * with `proxy_set_header <Name> "";`, between the snippet's `tokengate:cleared-headers` markers.
 */
export const CLEARED_HEADERS = [
  'Forwarded',
  'X-Forwarded-Port',
  'X-Forwarded-Server',
  'X-Forwarded-Prefix',
  'X-Forwarded-Ssl',
  'X-Forwarded-Scheme',
  'X-Url-Scheme',
  'Front-End-Https',
  'X-HTTP-Method-Override',
  'X-HTTP-Method',
  'X-Method-Override',
  'X-Original-URL',
  'X-Rewrite-URL',
  'X-Original-URI',
  'X-Original-Method',
  'X-Client-IP',
  'True-Client-IP',
  'X-Cluster-Client-IP',
  'X-Originating-IP',
  'Proxy-Connection',
] as const;

/**
 * Hop-by-hop headers, which nginx's proxy module never passes on by itself (its built-in
 * `proxy_set_header` defaults; Content-Length and Transfer-Encoding describe its own body to the
 * app). The embedded front drops them too. Like nginx, neither drops the other headers a client names in `Connection`.
 */
export const HOP_BY_HOP_HEADERS = ['Connection', 'Keep-Alive', 'TE', 'Expect', 'Upgrade', 'Transfer-Encoding', 'Content-Length'] as const;

/**
 * Headers the front writes itself, whatever the client sent under the same name: where the
 * request came from (from the connection and nginx's `$host`, never from the client), the
 * request id, and the credentials and identity (the app never sees a token; `X-Auth-*` come from
 * the signer, or are not sent). `CLAIM_HEADERS` add theirs.
 */
export const SET_HEADERS = [
  'Host',
  'X-Request-Id',
  'Authorization',
  'Cookie',
  'X-Auth-Sub',
  'X-Auth-Roles',
  'X-Auth-Claims',
  'X-Auth-Kind',
  'X-Real-IP',
  'X-Forwarded-For',
  'X-Forwarded-Proto',
  'X-Forwarded-Host',
] as const;

/**
 * nginx's `ignore_invalid_headers on` (with `underscores_in_headers off`): a header name of
 * anything but ASCII letters, digits and `-` is ignored as if never sent, so `X_Auth_Sub` or
 * `X.Auth.Sub` can never reach an app that reads it as `X-Auth-Sub`.
 */
export const VALID_HEADER_NAME = /^[A-Za-z0-9-]+$/;

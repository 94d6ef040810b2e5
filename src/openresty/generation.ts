/**
 * A name for the key ring and policy of the moment, which changes whenever either is reloaded:
 * the OpenResty front forgets every cached identity when it changes, so a retired key or a
 * stricter rule is never answered from the cache. Objects are numbered by identity: every
 * reload builds new ones, and nothing is hashed on the feed's path.
 */
export function generationOf(parts: readonly (() => object | undefined)[]): () => string {
  const numbers = new WeakMap<object, number>();
  let next = 0;
  const numberOf = (o: object | undefined) => {
    if (o === undefined) return 0;
    let n = numbers.get(o);
    if (n === undefined) numbers.set(o, (n = ++next));
    return n;
  };
  return () => parts.map((part) => numberOf(part())).join('.');
}

/**
 * `*` and `?` globs for resource types and addresses. `*` matches any run of
 * characters, dots and brackets included, so `module.legacy.*` covers every
 * resource in that module and `aws_instance.web*` every instance of it.
 */

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let body = '';
  for (const ch of glob) {
    if (ch === '*') body += '.*';
    else if (ch === '?') body += '.';
    else body += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  re = new RegExp(`^${body}$`, 's');
  if (cache.size > 10_000) cache.clear(); // patterns come from tenants' policies: keep the cache bounded
  cache.set(glob, re);
  return re;
}

export function matchesGlob(glob: string, value: string): boolean {
  if (!glob.includes('*') && !glob.includes('?')) return glob === value;
  return globToRegExp(glob).test(value);
}

/** Matches when any glob matches any of the values. */
export function matchesAnyGlob(globs: readonly string[], values: readonly string[]): boolean {
  for (const glob of globs) {
    for (const value of values) {
      if (matchesGlob(glob, value)) return true;
    }
  }
  return false;
}

/** The one containment test for host paths: `p` is `dir` or lies below it (lexical; both absolute and normalised). */
import path from 'node:path';

export function isUnder(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

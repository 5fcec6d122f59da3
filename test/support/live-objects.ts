/**
 * Counting objects alive (v8.queryObjects, after a full GC): what a call in
 * progress keeps, counted rather than timed, so the machine's speed does not
 * matter (issue 14).
 */
import v8 from 'node:v8';

/** Objects of `ctor` (or inheriting from it) alive now, after a full GC. */
export function liveObjects(ctor: new (...args: never[]) => unknown): number {
  // v8.queryObjects is experimental in Node 20 and says so once; that warning is not the test's.
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('queryObjects')) return;
    (emit as (...a: unknown[]) => void)(warning, ...rest);
  });
  try {
    return (v8 as unknown as { queryObjects(c: unknown, o: { format: 'count' }): number }).queryObjects(ctor, { format: 'count' });
  } finally {
    process.emitWarning = emit;
  }
}

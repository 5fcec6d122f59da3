/**
 * A CSV export as an HTTP answer, streamed: the header and the first row are read before the answer begins, so a
 * store that is down answers 503 with its message (400 for what it refuses as invalid); after that, each chunk
 * waits until the client has taken the one before (drain), so a slow client holds the reading of the store back
 * and memory stays at about a page. The questionnaire answers (./questionnaires.ts) and the meeting records
 * (./meetings.ts) are exported through it.
 */
import type { ResponseLike } from '../red/api';

/** Characters of CSV written to the client at a time. */
const CHUNK = 64 * 1024;

/** Resolves when the client has taken what was written (or is gone). */
function drained(res: ResponseLike): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Sends `lines()` as a CSV file named `filename`; rejects when reading fails after the answer began (the caller cuts it). */
export async function sendCsv(res: ResponseLike, lines: () => Promise<AsyncGenerator<string>>, filename: string): Promise<void> {
  let rows: AsyncGenerator<string>;
  let header: string;
  let row: IteratorResult<string>;
  try {
    rows = await lines();
    header = (await rows.next()).value as string;
    row = await rows.next();
  } catch (err) {
    res.status((err as { kind?: string }).kind === 'invalid' ? 400 : 503).json({ message: (err as Error).message });
    return;
  }
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  res.setHeader('Cache-Control', 'no-store');
  let chunk = header;
  while (!row.done) {
    chunk += row.value;
    if (chunk.length >= CHUNK) {
      if (!res.write(chunk)) await drained(res);
      chunk = '';
      if (res.destroyed) {
        await rows.return(undefined);
        return;
      }
    }
    row = await rows.next();
  }
  res.end(chunk);
}

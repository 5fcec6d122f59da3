/** The embedded store's blocklists: numbers not to call, by group, each with an optional time window. */
/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous; the methods are async so that every
   failure, validation included, reaches the caller as a rejected promise, as the port promises. */
import type Database from 'better-sqlite3';
import type { BlockEntry } from '../../schemas/store';
import { blockEntry } from '../../schemas/store';
import { pageLimit, type Page, type PageOptions } from '../port';
import { checked, decodeCursor, pageOf } from '../rules';
import { failed, type Connection, type Db } from './database';

export type BlocklistStatements = ReturnType<typeof prepareBlocklist>;

export function prepareBlocklist(db: Db) {
  return {
    putBlock: db.prepare(
      'INSERT INTO blocklist (grp, number, from_at, until_at, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (grp, number) DO UPDATE SET from_at = excluded.from_at, until_at = excluded.until_at, doc = excluded.doc',
    ),
    removeBlock: db.prepare('DELETE FROM blocklist WHERE grp = ? AND number = ?'),
    pageBlocked: db.prepare<[string, string, number], { doc: string }>('SELECT doc FROM blocklist WHERE grp = ? AND number > ? ORDER BY number LIMIT ?'),
    /** findBlock's statements, by the number of groups asked about (campaigns use a few group lists, asked before each dial). */
    byGroupCount: new Map<number, Database.Statement<unknown[], { doc: string }>>(),
  };
}

export class EmbeddedBlocklist {
  constructor(private readonly c: Connection<BlocklistStatements>) {}

  private get st(): BlocklistStatements {
    return this.c.st;
  }

  private get handle(): Db {
    return this.c.handle;
  }

  async addBlocked(entries: BlockEntry[]): Promise<number> {
    entries.forEach((e, i) => checked(blockEntry, e, `blocklist entry ${i}`));
    const st = this.st;
    try {
      this.handle.transaction(() => {
        for (const e of entries) st.putBlock.run(e.group, e.number, e.from ?? null, e.until ?? null, JSON.stringify(e));
      })();
      return entries.length;
    } catch (err) {
      failed(err, 'adding to a blocklist');
    }
  }

  async removeBlocked(group: string, number: string): Promise<boolean> {
    return this.st.removeBlock.run(group, number).changes > 0;
  }

  async findBlock(groups: string[], number: string, at: number): Promise<BlockEntry | undefined> {
    return this.blockOf(groups, number, at);
  }

  /** findBlock, synchronous: inside another write's transaction (markProgressBatch). */
  blockOf(groups: string[], number: string, at: number): BlockEntry | undefined {
    if (groups.length === 0) return undefined;
    // The group list varies in length: one prepared statement per length, made on first use.
    let query = this.st.byGroupCount.get(groups.length);
    if (!query) {
      const sql = `SELECT doc FROM blocklist WHERE number = ? AND grp IN (${groups.map(() => '?').join(',')}) AND (from_at IS NULL OR from_at <= ?) AND (until_at IS NULL OR until_at > ?) ORDER BY grp LIMIT 1`;
      query = this.handle.prepare<unknown[], { doc: string }>(sql);
      if (this.st.byGroupCount.size < 64) this.st.byGroupCount.set(groups.length, query);
    }
    const row = query.get(number, ...groups, at, at);
    return row ? (JSON.parse(row.doc) as BlockEntry) : undefined;
  }

  async pageBlocked(group: string, options: PageOptions = {}): Promise<Page<BlockEntry>> {
    const limit = pageLimit(options);
    const after = (decodeCursor(options.after, ['string'])?.[0] as string | undefined) ?? '';
    const rows = this.st.pageBlocked.all(group, after, limit + 1);
    return pageOf(rows, limit, (r) => JSON.parse(r.doc) as BlockEntry, (e) => [e.number]);
  }
}

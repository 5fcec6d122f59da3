/**
 * The release books of the deployed callflow-releases config nodes, by
 * config node id. A book outlives its config node instance across a
 * redeploy (its calls' counters, the versions it routes); it is closed
 * when the node is removed.
 */
import type { ReleaseBook } from '../../lib/releases/book';

const books = new Map<string, ReleaseBook>();

export function findBook(id: string): ReleaseBook | undefined {
  return books.get(id);
}

export function listBooks(): ReleaseBook[] {
  return [...books.values()];
}

export function keepBook(book: ReleaseBook): void {
  books.set(book.id, book);
}

export function dropBook(book: ReleaseBook): void {
  if (books.get(book.id) === book) books.delete(book.id);
}

/** Closes every book (tests, process exit). */
export async function closeAllBooks(): Promise<void> {
  const all = [...books.values()];
  books.clear();
  await Promise.all(all.map((b) => b.close()));
}

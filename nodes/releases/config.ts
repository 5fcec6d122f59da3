/** The shape of a callflow-releases config node as the entry nodes that belong to it see it. */
import type { ReleaseBook } from '../../lib/releases/book';
import type { Node } from '../red/api';

export interface ReleasesConfigNode extends Node {
  /** The release book, when the settings are valid. */
  readonly book: ReleaseBook | undefined;
}

/** Asterisk could not play the prompts (a missing file, an unreachable URL), or a say: prompt could not be said. */
export class MediaError extends Error {
  override readonly name = 'MediaError';
}

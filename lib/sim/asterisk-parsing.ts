/**
 * Text the simulator must read as Asterisk's C code reads it: an integer as
 * sscanf("%30d") does (number: media, a hangup reason_code), and a recording
 * name as the file it names below the recordings directory
 * (res/res_stasis_recording.c stasis_app_control_record, main/utils.c
 * ast_safe_mkdir, res/stasis_recording/stored.c split_path).
 */

/**
 * The integer sscanf(text, "%30d") reads, or undefined when it reads none:
 * leading white space, an optional sign, then digits (at most 30 characters
 * from the sign on); whatever follows is ignored (" +12abc" is 12).
 */
export function scanInt(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*/.exec(text);
  const field = text.slice(m?.[0].length ?? 0).slice(0, 30);
  const number = /^[+-]?\d+/.exec(field)?.[0];
  return number === undefined ? undefined : Number(number);
}

/**
 * A recording name as the file it names, relative to the recordings
 * directory: its folder part resolved as a path ("a/../b" is "b", "/x" is
 * "x"), the file part kept as it is. Undefined when the folder leaves the
 * recordings directory ("../x"), which ast_safe_mkdir refuses, or when there
 * is no file part.
 */
export function recordingPath(name: string): string | undefined {
  const parts = name.split('/');
  const file = parts.pop() ?? '';
  if (file === '') return undefined;
  const folder: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (folder.length === 0) return undefined;
      folder.pop();
    } else {
      folder.push(part);
    }
  }
  return [...folder, file].join('/');
}

/** ARI's generated glue takes at most this many values of a list parameter (res/res_ari_*.c, MAX_VALS). */
export const MAX_LIST_VALUES = 128;

/**
 * A comma-separated list parameter as ARI's generated glue splits it
 * (main/app.c __ast_app_separate_args with remove_chars): a comma inside
 * (), [] or "" does not separate; double quotes are removed; a backslash is
 * removed and the character after it kept as it is. Empty values are kept
 * (the operation decides what they mean); an empty text is one empty value.
 */
export function separateArgs(text: string): string[] {
  if (text === '') return [''];
  const values: string[] = [];
  let current = '';
  let paren = 0;
  let bracket = 0;
  let quote = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charAt(i);
    if (c === '(') paren += 1;
    else if (c === ')') paren = Math.max(0, paren - 1);
    else if (c === '[') bracket += 1;
    else if (c === ']') bracket = Math.max(0, bracket - 1);
    else if (c === '"') {
      quote = !quote;
      continue;
    } else if (c === '\\') {
      i += 1;
      if (i < text.length) current += text.charAt(i);
      continue;
    } else if (c === ',' && paren === 0 && bracket === 0 && !quote) {
      values.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  values.push(current);
  return values;
}

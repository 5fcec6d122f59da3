/**
 * The characters a contact's fields may hold (lib/campaign/contacts.ts, and
 * the CSV header in csv.ts). Two kinds of field:
 *
 * - names: the customer id, numbers, number types, sequence numbers,
 *   priorities, attribute and custom field names, CSV column names. No
 *   control character at all (C0, tab and line breaks included, DEL, C1):
 *   an invisible character in an id makes two ids that look the same, NUL
 *   ends a string in C (Asterisk's channel variables, SQLite's text
 *   functions), a line break splits a log line or a CSV export, and C1
 *   controls are what Windows-1252 bytes become when read as ISO-8859-1.
 * - text: attribute and custom field values. Tab, LF and CR are allowed (a
 *   note or an address has line breaks; a cell pasted from a spreadsheet
 *   may hold a tab); no other control character.
 *
 * Neither may hold U+FFFD, the mark a UTF-8 decoder leaves where the bytes
 * were not UTF-8 (a file saved as ISO-8859-1/Windows-1252 and read by a
 * file-in node as UTF-8), nor a lone UTF-16 surrogate (not Unicode text;
 * it cannot be stored as UTF-8). The character classes are the store's
 * (lib/schemas/store.ts), so the store's contact documents say the same.
 */

import { CONTACT_NAME_MAX, CONTACT_TEXT_MAX, NOT_IN_NAME_CHARS, NOT_IN_TEXT_CHARS } from '../schemas/store';

export type FieldKind = 'name' | 'text';

const NOT_IN_NAME = new RegExp(`[${NOT_IN_NAME_CHARS}]`, 'u');
const NOT_IN_TEXT = new RegExp(`[${NOT_IN_TEXT_CHARS}]`, 'u');

/** Why text is there: U+FFFD in what was read from a file. */
export const NOT_UTF8_HINT =
  'the text was not UTF-8 when it was read (a file saved as ISO-8859-1/Windows-1252, GBK or another legacy encoding, read as UTF-8): save the file as UTF-8 (in Excel: Save As, "CSV UTF-8") and load it again';

const RULE: Record<FieldKind, string> = {
  name: 'ids, numbers, types and names hold no control characters, not even a tab or a line break',
  text: 'a text value may hold tabs and line breaks, no other control character',
};

/**
 * What is wrong with `value` as a field of `kind`, as the end of a
 * sentence that starts with the field and the value ("holds the control
 * character U+0000 at character 2 (...)"), or undefined when nothing is.
 */
export function textProblem(value: string, kind: FieldKind): string | undefined {
  const max = kind === 'name' ? CONTACT_NAME_MAX : CONTACT_TEXT_MAX;
  if (value.length > max) return `is ${value.length} characters long (${kind === 'name' ? 'a name' : 'a text value'} has at most ${max})`;
  const m = (kind === 'name' ? NOT_IN_NAME : NOT_IN_TEXT).exec(value);
  if (!m) return undefined;
  const c = m[0].codePointAt(0) ?? 0;
  const at = `at character ${m.index + 1}`;
  if (c === 0xfffd) return `holds U+FFFD (\ufffd) ${at}: ${NOT_UTF8_HINT}`;
  if (c >= 0xd800 && c <= 0xdfff) return `is not valid Unicode text (a lone UTF-16 surrogate ${at})`;
  return `holds the control character U+${c.toString(16).toUpperCase().padStart(4, '0')} ${at} (${RULE[kind]})`;
}

/** A value as a reason shows it: text in quotes, shortened. */
export function show(value: unknown): string {
  let text: string;
  if (value === undefined) text = 'nothing';
  else if (typeof value === 'bigint') text = String(value);
  else if (typeof value === 'function' || typeof value === 'symbol') text = `a ${typeof value}`;
  else {
    try {
      const json: string | undefined = JSON.stringify(value);
      text = json ?? 'a value that cannot be shown';
    } catch {
      text = 'a value that cannot be shown';
    }
  }
  // JSON escapes C0 controls and lone surrogates; DEL, C1 and the two Unicode line separators are escaped too, so a reason is one plain line.
  text = text.replace(INVISIBLE, escaped);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const INVISIBLE = /[\x7f-\x9f\u2028\u2029]/g;
/** Characters a field name shows escaped (it is made of the row's own keys). */
// eslint-disable-next-line no-control-regex
export const UNSHOWABLE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]/gu;

export function escaped(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

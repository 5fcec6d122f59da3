/**
 * `say:` prompts: text to speak, e.g. `say:Hello {vars.name}, your balance is {vars.balance}.`
 *
 * The text may name call variables as {vars.NAME}; {{ and }} write a brace; any
 * other brace is refused by the pattern (the form, the deploy, a msg override).
 * A variable's value is put in as text in a single pass, never read as a
 * template, and never becomes part of a URI or a command line: the text goes to
 * the speech provider as data, and what Asterisk gets is the URL of the audio.
 * Strings, numbers and booleans are said; anything else (objects, lists, null,
 * a variable not set) says nothing. Control and bidirectional formatting
 * characters in a value become spaces, a value is cut at VALUE_MAX characters
 * and the whole text at TEXT_MAX.
 */
import { own } from '../own';

export const SAY_PREFIX = 'say:';
/** The longest a value put in may be: longer is cut. */
export const VALUE_MAX = 200;
/** The longest text a say: prompt may speak, after its variables are put in. */
export const TEXT_MAX = 1000;

/** One say: prompt (the schemas' pattern): text without control characters or lone braces, {vars.NAME}, {{ and }}. */
export const SAY_PATTERN = `say:(?:[^{}\\u0000-\\u001f\\u007f]|\\{\\{|\\}\\}|\\{vars\\.[A-Za-z_][A-Za-z0-9_]{0,63}\\}){1,${TEXT_MAX}}`;

type Part = string | { variable: string };

/** Whether a prompt is a say: prompt. */
export function isSay(prompt: string): boolean {
  return prompt.startsWith(SAY_PREFIX);
}

/** The parts of a say: prompt's text; throws a RangeError naming the problem for a text the pattern refuses. */
export function parseSay(prompt: string): Part[] {
  const template = prompt.startsWith(SAY_PREFIX) ? prompt.slice(SAY_PREFIX.length) : prompt;
  const parts: Part[] = [];
  let text = '';
  for (let i = 0; i < template.length; ) {
    const c = template[i] as string;
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      text += c;
      i += 2;
    } else if (c === '{') {
      const m = /^\{vars\.([A-Za-z_][A-Za-z0-9_]{0,63})\}/.exec(template.slice(i, i + 72));
      if (!m) throw new RangeError(`say: a { at character ${i + 1} does not start {vars.NAME} (write {{ for a brace)`);
      if (text) parts.push(text);
      text = '';
      parts.push({ variable: m[1] as string });
      i += m[0].length;
    } else if (c === '}') {
      throw new RangeError(`say: a } at character ${i + 1} closes nothing (write }} for a brace)`);
    } else {
      text += c;
      i += 1;
    }
  }
  if (text) parts.push(text);
  return parts;
}

/** What a variable's value says: its text, cleaned and cut; '' for values that are not text, a number or a boolean. */
export function spokenValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'boolean') text = String(value);
  else return '';
  text = cleanText(text);
  return text.length > VALUE_MAX ? text.slice(0, VALUE_MAX) : text;
}

/** Control and bidirectional formatting characters become spaces; runs of white space one space. */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, ' ').replace(/\s+/g, ' ');
}

/** The text a say: prompt speaks with these call variables: trimmed, at most TEXT_MAX characters ('' : nothing to say). */
export function renderSay(prompt: string, vars: Record<string, unknown>): string {
  let text = '';
  for (const part of parseSay(prompt)) text += typeof part === 'string' ? part : spokenValue(own(vars, part.variable));
  text = cleanText(text).trim();
  return text.length > TEXT_MAX ? text.slice(0, TEXT_MAX) : text;
}

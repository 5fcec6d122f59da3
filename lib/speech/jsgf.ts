/**
 * A JSGF grammar (the Java Speech Grammar Format, which pocketsphinx's -jsgf reads) for what a caller is expected to
 * say: one of a menu's phrases, or digits. Only words of the recogniser's dictionary go in, written as plain JSGF
 * tokens (lower-case letters and apostrophes), so nothing from a phrase can become grammar syntax. A phrase with
 * another word makes no grammar at all: a grammar without it would make its option impossible to say.
 */

/** What a caller is expected to say, for a recogniser that can use it. */
export interface Expectation {
  /** A menu's phrases (one of them is said). */
  phrases?: readonly string[];
  /** Digits (a collection of digits). */
  digits?: boolean;
}

/** The digit words a digits grammar takes (the words lib/ivr/grammar.ts's spokenDigits reads). */
export const DIGIT_WORDS = ['zero', 'oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;

/** The most phrases a grammar holds, and words a phrase holds. */
const MAX_PHRASES = 200;
const MAX_WORDS = 12;

/** A phrase's words as the dictionary writes them (lower case), or undefined when one is not a plain word. */
function phraseWords(phrase: string): string[] | undefined {
  const words = phrase
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .split(/[\s,.;:!?"()]+/)
    .filter((w) => w !== '');
  if (words.length === 0 || words.length > MAX_WORDS) return undefined;
  return words.every((w) => /^[a-z]+('[a-z]+)?$/.test(w)) ? words : undefined;
}

/**
 * The grammar for an expectation, or a reason there is none (no phrases, or a phrase whose words are not all in the
 * dictionary, quoted): the recogniser then hears free text.
 */
export function jsgfGrammar(expect: Expectation, known: (word: string) => boolean): { grammar: string } | { none: string } {
  const header = '#JSGF V1.0;\ngrammar callflow;\n';
  if (expect.digits) return { grammar: `${header}public <digits> = ( ${DIGIT_WORDS.join(' | ')} )+ ;\n` };
  const phrases = expect.phrases ?? [];
  if (phrases.length === 0) return { none: 'no phrases' };
  if (phrases.length > MAX_PHRASES) return { none: `more than ${MAX_PHRASES} phrases` };
  const alternatives = new Set<string>();
  for (const phrase of phrases) {
    const words = phraseWords(phrase);
    const unknown = words ? words.find((w) => !known(w)) : phrase;
    if (!words || unknown !== undefined) return { none: `${JSON.stringify(unknown?.slice(0, 40))} is not a word of the dictionary` };
    alternatives.add(words.join(' '));
  }
  return { grammar: `${header}public <phrase> = ${[...alternatives].join(' | ')} ;\n` };
}

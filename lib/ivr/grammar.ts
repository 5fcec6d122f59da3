/**
 * What recognised text means to a menu or a collection: which option's phrases it says, or which digits. The text is
 * a recogniser's (hostile, bounded by recognisedText): it is only compared, word by word, never run or interpolated.
 */

/** Lower case, compatibility forms folded, accents kept, every run of what is not a letter or a digit one space. */
export function normalisedWords(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/**
 * The option whose phrase the text says, as whole words: the one said first; of phrases starting at the same word,
 * the longest. -1 when none is said.
 */
export function matchOption(text: string, options: readonly (readonly string[])[]): number {
  const words = normalisedWords(text);
  let best = { index: -1, at: Infinity, length: 0 };
  options.forEach((phrases, index) => {
    for (const phrase of phrases) {
      const target = normalisedWords(phrase);
      if (target.length === 0 || target.length > words.length) continue;
      for (let at = 0; at + target.length <= words.length && at <= best.at; at++) {
        if (!target.every((w, i) => words[at + i] === w)) continue;
        if (at < best.at || (at === best.at && target.length > best.length)) best = { index, at, length: target.length };
        break;
      }
    }
  });
  return best.index;
}

const DIGIT_WORDS: Readonly<Record<string, string>> = {
  zero: '0', oh: '0', o: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9',
  零: '0', 一: '1', 幺: '1', 二: '2', 两: '2', 三: '3', 四: '4', 五: '5', 六: '6', 七: '7', 八: '8', 九: '9',
};

/**
 * The digits a text says: digits as written ("1 2 3", "123") and digit words (English "one", "oh", Chinese 一 二 幺),
 * in order; '' when it says something else as well (a word that is not a digit), so "I don't know" is not digits.
 */
export function spokenDigits(text: string): string {
  let digits = '';
  for (const word of normalisedWords(text)) {
    if (/^[0-9]+$/.test(word)) digits += word;
    else if (DIGIT_WORDS[word] !== undefined) digits += DIGIT_WORDS[word];
    else if ([...word].every((c) => DIGIT_WORDS[c] !== undefined)) digits += [...word].map((c) => DIGIT_WORDS[c]).join('');
    else return '';
  }
  return digits;
}

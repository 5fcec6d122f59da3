/**
 * The patterns users give a collect node ("4[0-9]{5}", "(\d{3})+"), run by
 * RE2 (re2js, a pure-JavaScript port): matching takes time linear in the
 * input whatever the pattern, so no pattern and no caller can make it
 * backtrack for seconds as V8's RegExp does on "(\d+)+" and 31 digits.
 *
 * A pattern is checked against the whole input (as "^(?:p)$" did). The
 * syntax is RE2's, which is JavaScript's for everything a digit pattern
 * needs (classes, groups, alternation, the quantifiers ? * + {m} {m,n},
 * \d); what RE2 refuses (backreferences \1, lookahead (?=, lookbehind
 * (?<=) is refused with RE2's reason. Inputs longer than MAX_INPUT (a
 * collect node reads at most 64 keys) never reach the matcher, and
 * patterns whose compiled program exceeds MAX_PROGRAM are refused, so a
 * match costs a bounded amount of work.
 */
import { RE2JS } from 're2js';

/** The longest pattern a user may write (as the collect schema says). */
export const MAX_PATTERN = 200;
/** The longest input a pattern is run on: a collect node reads at most 64 keys. */
export const MAX_INPUT = 64;
/**
 * The largest compiled program accepted, in RE2 instructions. "\d{1,64}" is
 * about 130; the limit refuses only patterns like "\d{1000}\d{1000}..."
 * that no input of 64 keys needs, whose matching would cost milliseconds.
 */
export const MAX_PROGRAM = 2000;

/** A pattern RE2 refuses, or one too long or too large; the message says why. */
export class PatternError extends Error {
  override readonly name = 'PatternError';
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`${JSON.stringify(pattern)} is not accepted: ${reason}`);
  }
}

export class DigitPattern {
  private constructor(
    readonly source: string,
    private readonly re: RE2JS,
  ) {}

  /** The pattern compiled, or a PatternError saying why it is refused. */
  static compile(source: string): DigitPattern {
    if (typeof source !== 'string') throw new PatternError(String(source), 'a pattern is text');
    if (source.length > MAX_PATTERN) throw new PatternError(`${source.slice(0, 40)}...`, `longer than ${MAX_PATTERN} characters (${source.length})`);
    let re: RE2JS;
    try {
      re = RE2JS.compile(source);
    } catch (err) {
      throw new PatternError(source, reasonOf(err));
    }
    const size = re.programSize();
    if (size > MAX_PROGRAM) {
      throw new PatternError(source, `too complex (its program has ${size} steps, at most ${MAX_PROGRAM}); write smaller repetition counts`);
    }
    return new DigitPattern(source, re);
  }

  /** Whether the whole input matches. An input longer than MAX_INPUT never reaches RE2 and throws a RangeError. */
  matches(input: string): boolean {
    if (input.length > MAX_INPUT) throw new RangeError(`the input to match is ${input.length} characters long; at most ${MAX_INPUT}`);
    return this.re.matches(input);
  }
}

/** Why a pattern is refused, or undefined when it is accepted (the deploy check and the editor's). */
export function patternProblem(source: string): string | undefined {
  try {
    DigitPattern.compile(source);
    return undefined;
  } catch (err) {
    if (err instanceof PatternError) return err.reason;
    throw err;
  }
}

/** RE2's own words ("invalid or unsupported Perl syntax: `(?=`"), without its "error parsing regexp: " prefix. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const reason = message.replace(/^error parsing regexp: /, '');
  if (['`(?=', '`(?!', '`(?<=', '`(?<!'].some((syntax) => reason.includes(syntax))) return `${reason} (lookahead and lookbehind are not supported)`;
  if (/^invalid escape sequence: `\\[1-9]/.test(reason)) return `${reason} (backreferences are not supported)`;
  return reason;
}

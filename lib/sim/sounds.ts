/**
 * The sound files the simulated Asterisk "has", with their lengths. The ids
 * are those of Asterisk's core English sound set; the lengths are close to
 * the real recordings (to the tenth of a second), which is what a demo at
 * speed 1 needs to feel right. Other languages can be added with
 * SoundCatalog.define().
 */
import type { Sound } from '../ari/types';

const CORE_EN: Record<string, [number, string]> = {
  'hello-world': [1200, 'Hello world.'],
  welcome: [1100, 'Welcome.'],
  'to-hear-your-account-balance': [1800, 'To hear your account balance,'],
  'to-reach-operator': [1300, 'To reach an operator,'],
  'card-number': [900, 'card number.'],
  'account-balance-is': [1400, 'Your account balance is'],
  'all-reps-busy': [2600, 'All of our representatives are busy assisting other callers.'],
  'demo-congrats': [8400, 'Congratulations. You have successfully installed and executed the Asterisk open source PBX.'],
  'demo-instruct': [9800, 'If you know the number of the extension you are trying to reach, please dial it now.'],
  'demo-thanks': [2400, 'Thank you for trying the Asterisk open source PBX. Goodbye.'],
  'demo-echotest': [4200, 'You are now entering the echo test.'],
  'demo-nogo': [2000, 'Sorry, that is not a valid extension.'],
  'tt-monkeys': [8600, '(monkeys)'],
  'tt-weasels': [4700, 'Weasels have eaten our phone system.'],
  beep: [300, '(beep)'],
  goodbye: [700, 'Goodbye.'],
  'vm-goodbye': [700, 'Goodbye.'],
  'thank-you-for-calling': [1300, 'Thank you for calling.'],
  'pls-try-again': [1400, 'Please try again.'],
  'please-try-again': [1400, 'Please try again.'],
  'pbx-invalid': [1600, 'I am sorry, that is not a valid extension. Please try again.'],
  'option-is-invalid': [1400, 'That option is invalid.'],
  invalid: [800, 'Invalid.'],
  'pls-hold-while-try': [2000, 'Please hold while I try that extension.'],
  transfer: [1000, 'Transfer.'],
  'enter-ext-of-person': [2300, 'Please enter the extension of the person you are looking for.'],
  'please-enter-your': [1000, 'Please enter your'],
  'vm-enter-num-to-call': [1900, 'Please enter the number you wish to call.'],
  'vm-intro': [4300, 'Please leave your message after the tone. When done, hang up, or press the pound key.'],
  'vm-review': [3600, 'Press 1 to accept this recording, press 2 to listen to it, press 3 to rerecord your message.'],
  'vm-msgsaved': [1100, 'Your message has been saved.'],
  'auth-thankyou': [800, 'Thank you.'],
  'queue-thankyou': [1900, 'Thank you for your patience.'],
  'queue-callswaiting': [1200, 'Waiting to speak with a representative.'],
  'queue-holdtime': [1400, 'The estimated hold time is currently'],
  'all-circuits-busy-now': [1900, 'All circuits are busy now.'],
  'cannot-complete-temp-error': [2800, 'Your call cannot be completed as dialed, due to a temporary error.'],
  'ss-noservice': [3500, 'The number you have dialed is not in service.'],
  'conf-enteringno': [1400, 'You are entering conference number'],
  'conf-getconfno': [1700, 'Please enter your conference number followed by the pound key.'],
  'conf-getpin': [1500, 'Please enter the conference pin number.'],
  'conf-invalidpin': [1600, 'That pin is invalid for this conference.'],
  'conf-onlyperson': [1900, 'You are currently the only person in this conference.'],
  'conf-hasjoin': [700, 'has joined the conference.'],
  'agent-pass': [1400, 'Please enter your password followed by the pound key.'],
  'dir-intro': [3300, 'Welcome to the directory.'],
  'privacy-incorrect': [2100, 'I am sorry, that number is incorrect.'],
  'silence/1': [1000, ''],
  'silence/2': [2000, ''],
  'silence/3': [3000, ''],
  'silence/5': [5000, ''],
  'silence/10': [10000, ''],
  'digits/hundred': [500, 'hundred'],
  'digits/thousand': [550, 'thousand'],
  'digits/million': [550, 'million'],
  'digits/minus': [450, 'minus'],
  'digits/star': [400, 'star'],
  'digits/pound': [400, 'pound'],
  'letters/at': [350, 'at'],
  'letters/dot': [350, 'dot'],
  'letters/dash': [400, 'dash'],
  'letters/slash': [400, 'slash'],
  'letters/plus': [400, 'plus'],
  'letters/space': [400, 'space'],
};
const NUMBER_WORDS = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen',
];
for (let n = 0; n <= 19; n += 1) CORE_EN[`digits/${n}`] = [n < 10 ? 450 : 650, NUMBER_WORDS[n] ?? String(n)];
for (const tens of [20, 30, 40, 50, 60, 70, 80, 90]) CORE_EN[`digits/${tens}`] = [550, String(tens)];
for (const letter of 'abcdefghijklmnopqrstuvwxyz') CORE_EN[`letters/${letter}`] = [400, letter];

interface Entry {
  durationMs: number;
  text: string;
  formats: Set<string>; // "lang/format"
}

export class SoundCatalog {
  private readonly sounds = new Map<string, Entry>();

  constructor() {
    for (const [id, [durationMs, text]] of Object.entries(CORE_EN)) {
      this.define(id, durationMs, { text, language: 'en', formats: ['gsm', 'ulaw', 'wav'] });
    }
  }

  /** Adds a sound (or another language/format of one). */
  define(id: string, durationMs: number, opts: { text?: string; language?: string; formats?: string[] } = {}): void {
    if (!/^[A-Za-z0-9_\-/.]+$/.test(id) || id.includes('..')) throw new Error(`invalid sound id "${id}"`);
    if (!(durationMs >= 0)) throw new Error(`sound "${id}": durationMs must be >= 0`);
    const entry = this.sounds.get(id) ?? { durationMs, text: opts.text ?? '', formats: new Set<string>() };
    entry.durationMs = durationMs;
    if (opts.text !== undefined) entry.text = opts.text;
    for (const format of opts.formats ?? ['wav']) entry.formats.add(`${opts.language ?? 'en'}/${format}`);
    this.sounds.set(id, entry);
  }

  /** Length of a sound in a language, or undefined when the system has no such file. */
  duration(id: string, language = 'en'): number | undefined {
    const entry = this.sounds.get(id);
    if (!entry) return undefined;
    const has = [...entry.formats].some((f) => f.startsWith(`${language}/`));
    // Asterisk falls back to the default language when the requested one is missing.
    return has || [...entry.formats].some((f) => f.startsWith('en/')) ? entry.durationMs : undefined;
  }

  has(id: string): boolean {
    return this.sounds.has(id);
  }

  /** ARI Sound objects, optionally filtered by language and format. */
  list(filter: { lang?: string; format?: string } = {}): Sound[] {
    const out: Sound[] = [];
    for (const [id, entry] of [...this.sounds.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const formats = [...entry.formats]
        .map((f) => {
          const [language = 'en', format = 'wav'] = f.split('/');
          return { language, format };
        })
        .filter((f) => (!filter.lang || f.language === filter.lang) && (!filter.format || f.format === filter.format));
      if (formats.length === 0) continue;
      const sound: Sound = { id, formats };
      if (entry.text) sound.text = entry.text;
      out.push(sound);
    }
    return out;
  }

  get(id: string): Sound | undefined {
    return this.list().find((s) => s.id === id);
  }
}

/** The files Asterisk's English say.c plays for a number ("number:" media). */
export function sayNumberFiles(value: number): string[] {
  const files: string[] = [];
  let n = Math.trunc(value);
  if (n < 0) {
    files.push('digits/minus');
    n = -n;
  }
  if (n === 0) return [...files, 'digits/0'];
  const group = (v: number): string[] => {
    const out: string[] = [];
    if (v >= 100) {
      out.push(`digits/${Math.floor(v / 100)}`, 'digits/hundred');
      v %= 100;
    }
    if (v >= 20) {
      out.push(`digits/${Math.floor(v / 10) * 10}`);
      v %= 10;
    }
    if (v > 0) out.push(`digits/${v}`);
    return out;
  };
  const millions = Math.floor(n / 1_000_000);
  const thousands = Math.floor((n % 1_000_000) / 1000);
  const rest = n % 1000;
  if (millions) files.push(...group(millions), 'digits/million');
  if (thousands) files.push(...group(thousands), 'digits/thousand');
  if (rest) files.push(...group(rest));
  return files;
}

/** The files for "digits:" media: one per digit, star and pound. */
export function sayDigitFiles(digits: string): string[] {
  return [...digits].flatMap((c) => {
    if (/[0-9]/.test(c)) return [`digits/${c}`];
    if (c === '*') return ['digits/star'];
    if (c === '#') return ['digits/pound'];
    return [];
  });
}

/** The files for "characters:" media. */
export function sayCharacterFiles(text: string): string[] {
  const names: Record<string, string> = { '@': 'at', '.': 'dot', '-': 'dash', '/': 'slash', '+': 'plus', ' ': 'space' };
  return [...text.toLowerCase()].flatMap((c) => {
    if (/[0-9]/.test(c)) return [`digits/${c}`];
    if (/[a-z]/.test(c)) return [`letters/${c}`];
    if (c === '*') return ['digits/star'];
    if (c === '#') return ['digits/pound'];
    const name = names[c];
    return name ? [`letters/${name}`] : [];
  });
}

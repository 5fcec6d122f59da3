/**
 * The failed-call notification (the specification's "Type of the outgoing call failure SMS notification" and "SMS
 * Template for Failed Outbound Call"): a campaign sets a type (SMS, e-mail or another channel), a recipient and a
 * text, each a template whose placeholders name the failed customer's fields; each final failure's msg carries the
 * rendered notification for an SMS or e-mail node to send.
 *
 * A template is plain text with placeholders in braces: {customerId}, {number}, {cause}, {result}, {attempts},
 * {campaign}, and {custom.NAME} for a custom field of the contact; {{ and }} write a brace. Anything else in braces is
 * refused when the settings are checked (the form, the deploy), naming the field. Rendering is a single pass over the
 * parsed template: a value is put in as text and never read as a template or run as anything (a field holding
 * "{number}" or "=HYPERLINK(...)" comes out as those characters). Control characters in a value (line breaks, tabs,
 * bidirectional overrides) become spaces, a value is cut at VALUE_MAX characters and the whole text at TEXT_MAX.
 */
import type { FinalFailure } from './dialer-port';

export const NOTIFY_TYPES = ['none', 'sms', 'email', 'other'] as const;
export type NotifyType = (typeof NOTIFY_TYPES)[number];

/** The placeholders besides {custom.NAME}. */
export const PLACEHOLDERS = ['customerId', 'number', 'cause', 'result', 'attempts', 'campaign'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

/** A custom field a placeholder may name: 1 to 64 letters, digits, _ or -. */
const CUSTOM_NAME = /^custom\.([A-Za-z0-9_-]{1,64})$/;

/** The longest a template may be (the schema says the same). */
export const TEMPLATE_MAX = 1000;
/** The longest a value put in may be: longer ones are cut, with an ellipsis. */
export const VALUE_MAX = 200;
/** The longest a rendered text (or recipient) may be: longer is cut. */
export const TEXT_MAX = 1000;

type Part = string | { placeholder: Placeholder } | { custom: string };

/** A template parsed once: its parts, or the problems of the template (each naming `field`). */
export function parseTemplate(template: string, field: string): { parts: Part[] } | { problems: string[] } {
  const parts: Part[] = [];
  const problems: string[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i] as string;
    if (c === '{' && template[i + 1] === '{') {
      text += '{';
      i += 2;
    } else if (c === '}' && template[i + 1] === '}') {
      text += '}';
      i += 2;
    } else if (c === '{') {
      const end = template.indexOf('}', i + 1);
      const inner = end < 0 ? '' : template.slice(i + 1, end);
      if (end < 0 || inner.includes('{')) {
        problems.push(`${field}: a { at character ${i + 1} has no } after its name (write {{ for a brace)`);
        break;
      }
      const custom = CUSTOM_NAME.exec(inner);
      if ((PLACEHOLDERS as readonly string[]).includes(inner) || custom) {
        if (text) parts.push(text);
        text = '';
        parts.push(custom ? { custom: custom[1] as string } : { placeholder: inner as Placeholder });
      } else {
        const shown = inner.length > 40 ? `${inner.slice(0, 40)}...` : inner;
        problems.push(`${field}: unknown placeholder {${shown}}: use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')} or {custom.NAME} (a custom field: letters, digits, _ or -), and {{ }} for braces`);
      }
      i = end + 1;
    } else if (c === '}') {
      problems.push(`${field}: a } at character ${i + 1} closes nothing (write }} for a brace)`);
      i += 1;
    } else {
      text += c;
      i += 1;
    }
  }
  if (text) parts.push(text);
  return problems.length > 0 ? { problems } : { parts };
}

export interface NotificationSettings {
  name: string;
  notifyType?: NotifyType;
  notifyTo?: string;
  notifyText?: string;
}

/** What the schema cannot say about a campaign's notification settings: unknown placeholders, a type without a text. */
export function notificationProblems(s: NotificationSettings): string[] {
  const type = s.notifyType ?? 'none';
  const problems: string[] = [];
  for (const field of ['notifyTo', 'notifyText'] as const) {
    const parsed = parseTemplate(s[field] ?? '', field);
    if ('problems' in parsed) problems.push(...parsed.problems);
  }
  if (type !== 'none' && !(s.notifyText ?? '').trim()) problems.push(`notifyText: a ${type} notification needs a text (a template such as "We could not reach you about {campaign}")`);
  if (type !== 'none' && !(s.notifyTo ?? '').trim()) problems.push(`notifyTo: a ${type} notification needs a recipient (a template such as {number} or {custom.email})`);
  return problems;
}

// C0 and C1 controls, DEL, bidirectional overrides and isolates, line and paragraph separators, U+FFFD.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffd]/g;

/** A value as text a notification can hold: scalars only, controls as spaces, at most VALUE_MAX characters. */
export function inertValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'boolean') text = String(value);
  else return '';
  // Cut first (a value may be 10,000 characters), then clean: the cut never splits a surrogate pair.
  const chars = Array.from(text.length > VALUE_MAX * 2 ? text.slice(0, VALUE_MAX * 2) : text);
  const cut = chars.length > VALUE_MAX ? `${chars.slice(0, VALUE_MAX - 1).join('')}…` : chars.join('');
  return cut.replace(UNSAFE, ' ');
}

export interface Notification {
  type: Exclude<NotifyType, 'none'>;
  to: string;
  text: string;
}

function render(parts: Part[], failure: FinalFailure, campaign: string): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if ('custom' in p) out += inertValue(failure.custom && Object.hasOwn(failure.custom, p.custom) ? failure.custom[p.custom] : undefined);
    else {
      const values: Record<Placeholder, unknown> = {
        customerId: failure.customerId,
        number: failure.number,
        cause: failure.attempt.outcome,
        result: failure.result.code,
        attempts: failure.attempt.n,
        campaign,
      };
      out += inertValue(values[p.placeholder]);
    }
    if (out.length > TEXT_MAX) break;
  }
  return out.length > TEXT_MAX ? `${Array.from(out.slice(0, TEXT_MAX)).slice(0, TEXT_MAX - 1).join('')}…` : out;
}

/**
 * The renderer of a campaign's notification, parsed once, or undefined when the campaign sends none. Throws on a
 * template the checks above refuse (a deployed campaign's settings have passed them).
 */
export function notifier(s: NotificationSettings): ((failure: FinalFailure) => Notification) | undefined {
  const type = s.notifyType ?? 'none';
  if (type === 'none') return undefined;
  const parse = (field: 'notifyTo' | 'notifyText'): Part[] => {
    const parsed = parseTemplate(s[field] ?? '', field);
    if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
    return parsed.parts;
  };
  const to = parse('notifyTo');
  const text = parse('notifyText');
  return (failure) => {
    const recipient = render(to, failure, s.name).trim();
    return { type, to: recipientOf(type, recipient), text: render(text, failure, s.name) };
  };
}

const PHONE = /^\+?[0-9]{3,32}$/;
const EMAIL = /^[^\s@,;<>"'()[\]\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;

/**
 * The recipient a notification may carry: one phone number for an SMS (spaces, dashes, dots and parentheses
 * dropped), one e-mail address for an e-mail (no list: a contact field holding "a@x.com, b@y.com" would send the
 * campaign's text to whoever it names); other types take the text as rendered. Anything else: empty, so that the
 * node warns and nothing is sent to a recipient the contact list made up.
 */
export function recipientOf(type: Exclude<NotifyType, 'none'>, rendered: string): string {
  if (type === 'sms') {
    const digits = rendered.replace(/[\s.()-]/g, '');
    return PHONE.test(digits) ? digits : '';
  }
  if (type === 'email') return rendered.length <= 254 && EMAIL.test(rendered) ? rendered : '';
  return rendered;
}

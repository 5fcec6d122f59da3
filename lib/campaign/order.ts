/**
 * Call strategy: which contact is called first (the contact's rank, a key
 * the store orders by, then import order), which numbers of a customer are
 * called in what order, and which contacts the data-attribute filter lets
 * through.
 */
import { own } from '../own';
import type { AttributeFilter, CallOrder, MultiNumber } from '../schemas/campaign';
import type { AttrValue, ContactInput, ContactNumber } from '../schemas/store';

/** Rank text is printable ASCII compared byte by byte (lib/store/port.ts); at most 256 characters. */
const RANK_MAX = 256;

/**
 * The rank a contact gets under a call order: contacts with a lower rank
 * are called first; equal ranks keep import order. "none" gives every
 * contact the same rank (import order); "number" orders by the first
 * number's digits; "priority" by the contact's priority (1 first, none
 * last); "attributes" by each listed attribute in turn, ascending or
 * descending, a missing value last.
 */
export function rankOf(contact: Pick<ContactInput, 'numbers' | 'priority' | 'attrs'>, order: CallOrder): string {
  switch (order.by) {
    case 'none':
      return '';
    case 'number':
      return numberKey(contact.numbers[0]?.number ?? '');
    case 'priority':
      return String(contact.priority ?? 6);
    case 'attributes': {
      const parts = order.attrs.map((a) => attrKey(own(contact.attrs, a.attr), a.direction));
      return parts.join('\x20').slice(0, RANK_MAX);
    }
    default:
      return '';
  }
}

/** Digits of a number, right-aligned so that 99 comes before 100. */
function numberKey(number: string): string {
  const digits = number.replace(/^\+/, '');
  return digits.padStart(32, '0');
}

/** Printable characters 0x21..0x7e, with 0x7e kept for "no value" so that it sorts last in both directions. */
function attrKey(value: AttrValue | undefined, direction: 'asc' | 'desc'): string {
  if (value === undefined) return '~';
  let key: string;
  if (typeof value === 'number') key = `0${numericKey(value)}`;
  else if (typeof value === 'boolean') key = `1${value ? '1' : '0'}`;
  else key = `2${printable(value.slice(0, 40)).slice(0, 120)}`;
  if (direction === 'asc') return `${key}!`;
  // Descending: each character mirrored inside 0x21..0x7d; the shorter of two prefixes must come last, so end high.
  return `${[...key].map((c) => String.fromCharCode(0x21 + 0x7d - c.charCodeAt(0))).join('')}}`;
}

/** A number as 24 characters that sort as the numbers do (sign, then magnitude). */
function numericKey(n: number): string {
  const clamped = Math.max(-1e15, Math.min(1e15, n));
  // In integers of thousandths (a double near 1e15 cannot hold 3 decimals), shifted to be positive.
  return (BigInt(Math.round(clamped * 1000)) + 10n ** 18n).toString().padStart(20, '0');
}

/** Text in 0x21..0x7d keeping code-point order: other characters become } and 4 hex digits (after every ASCII one). */
function printable(text: string): string {
  return text.replace(/[^\x21-\x7c]/g, (c) => (c === ' ' ? '!' : `}${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/**
 * The numbers of a customer in calling order: "sequence" as the contact
 * lists them; "type" by the type order (numbers of unlisted types after, in
 * their order); "seq" by each number's sequence number (numbers without
 * one last).
 */
export function numberOrder(numbers: readonly ContactNumber[], multi: MultiNumber): ContactNumber[] {
  const indexed = numbers.map((n, i) => ({ n, i }));
  const by = (key: (x: { n: ContactNumber; i: number }) => number): ContactNumber[] =>
    indexed.sort((a, b) => key(a) - key(b) || a.i - b.i).map((x) => x.n);
  switch (multi.mode) {
    case 'type':
      return by((x) => {
        const at = x.n.type === undefined ? -1 : multi.types.indexOf(x.n.type);
        return at === -1 ? multi.types.length : at;
      });
    case 'seq':
      return by((x) => x.n.seq ?? Number.MAX_SAFE_INTEGER);
    default:
      return numbers.slice();
  }
}

/** Whether a contact passes the data-attribute filter (no conditions: every contact). */
export function passesFilter(attrs: Record<string, AttrValue> | undefined, filter: AttributeFilter): boolean {
  if (filter.conditions.length === 0) return true;
  const test = (c: AttributeFilter['conditions'][number]): boolean => {
    // The contact's own attribute: "constructor" or "toString" are valid names, missing unless the contact has them.
    const v = own(attrs, c.attr);
    if (c.op === 'exists') return v !== undefined;
    if (v === undefined) return c.op === 'ne';
    const w = c.value;
    if (w === undefined) return false;
    const numeric = typeof v === 'number' || (typeof w === 'number' && v !== '' && !Number.isNaN(Number(v)));
    const a: number | string = numeric ? Number(v) : String(v);
    const b: number | string = numeric ? Number(w) : String(w);
    switch (c.op) {
      case 'eq':
        return a === b;
      case 'ne':
        return a !== b;
      case 'lt':
        return a < b;
      case 'le':
        return a <= b;
      case 'gt':
        return a > b;
      case 'ge':
        return a >= b;
      case 'contains':
        return String(v).includes(String(w));
      default:
        return false;
    }
  };
  return filter.join === 'and' ? filter.conditions.every(test) : filter.conditions.some(test);
}

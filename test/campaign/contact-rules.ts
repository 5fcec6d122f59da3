/**
 * The contact rules the contacts tests check rows against (contact-row.test.ts, contacts.test.ts): every number type
 * the campaign form offers, no call order.
 */
import type { ContactRules } from '../../lib/campaign/contacts';

export const RULES: ContactRules = { numberTypes: ['mobile', 'home', 'work', 'other'], order: { by: 'none', attrs: [] } };

/**
 * The data the store conformance suite's parts share: fixed times, a
 * campaign id, contact rows and attempts, and the claims a dialer makes.
 */
import assert from 'node:assert/strict';
import type { Attempt, ContactInput } from '../../lib/schemas/store';
import type { Claim, NextStep, Store, StoredContact } from '../../lib/store/port';

export const T = 1_000_000;
export const LEASE = 60_000;
export const C = 'spring';
export const NUMBER = '+15550100';

export function row(customerId: string, extra: Partial<ContactInput> = {}): ContactInput {
  return { customerId, numbers: [{ number: NUMBER }], ...extra };
}

export function attempt(n: number, outcome: Attempt['outcome'] = 'no-answer', at = T): Attempt {
  return { n, number: NUMBER, startedAt: at, endedAt: at + 30_000, outcome };
}

export function idsOf(claims: Claim[]): string[] {
  return claims.map((c) => c.contact.customerId);
}

/** A valid campaign document (kind "campaign" is checked against lib/schemas/campaign.ts) carrying `extra` in its reason. */
export function cdoc(extra: Record<string, unknown>): Record<string, unknown> {
  return { state: 'draft', changedAt: 0, reason: JSON.stringify(extra), name: 'test', counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } };
}

/** Byte-wise order of two strings (code units; ranks are printable ASCII). */
export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function byRankSeq(a: StoredContact, b: StoredContact): number {
  return byteCompare(a.rank, b.rank) || a.seq - b.seq;
}

/** Matches a number standing alone (not part of a longer number): the index of a row in a message. */
export function standalone(n: number): RegExp {
  return new RegExp(`(^|\\D)${n}(\\D|$)`);
}

export async function mustGet(store: Store, campaignId: string, customerId: string): Promise<StoredContact> {
  const c = await store.getContact(campaignId, customerId);
  assert.ok(c, `contact ${customerId} of ${campaignId} is stored`);
  return c;
}

export async function claimOne(store: Store, campaignId: string, now: number, worker = 'w1', leaseMs = LEASE): Promise<Claim> {
  const claims = await store.claimDue(campaignId, now, 1, worker, leaseMs);
  assert.equal(claims.length, 1, `one contact due at ${now}`);
  const claim = claims[0];
  assert.ok(claim);
  return claim;
}

/** Claims everything due at `now` (up to 1000). */
export async function claimAll(store: Store, campaignId: string, now: number, worker = 'w1', leaseMs = LEASE): Promise<Claim[]> {
  return store.claimDue(campaignId, now, 1000, worker, leaseMs);
}

export const done = (at: number, code = 'done', progress: Record<string, unknown> = {}): NextStep => ({ state: 'done', at, progress, result: { code, at } });

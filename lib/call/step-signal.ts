/**
 * The signal a call's steps run with (CallSession.stepSignal): an
 * AbortSignal in everything but its cost.
 *
 * Node's AbortController makes an EventTarget with two Maps (its events and
 * its handlers) and, because Node sets the signal's prototype after making
 * it, a hidden class and descriptor array of its own per signal: about 1 KB
 * for every call in progress, an eighth of what a waiting call kept
 * (issue 14, docs/performance.md), to hold at most a few listeners. This
 * class is the signal and its controller in one object: `aborted`, `reason`,
 * `onabort`, `throwIfAborted()`, and abort listeners added and removed as an
 * EventTarget does (in order, once, the same listener once, one added during
 * the abort not called, one removed before its turn not called), so every
 * API that takes an AbortSignal and only uses that much (this project's ARI
 * adapter and HTTP client, Node's timers/promises and events, which check
 * `'aborted' in signal`) takes it. It is not an EventTarget: APIs that check
 * the brand (fetch, AbortSignal.any) need `native()`.
 */

type AbortListener = NonNullable<Parameters<AbortSignal['addEventListener']>[1]>;
type ListenerOptions = Parameters<AbortSignal['addEventListener']>[2];

export class StepSignal implements AbortSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((this: AbortSignal, ev: Event) => unknown) | null = null;
  /** None, one, or several (in the order added). */
  #listeners: AbortListener | AbortListener[] | undefined = undefined;
  #native: AbortController | undefined = undefined;

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  addEventListener(type: string, listener: AbortListener | null, options?: ListenerOptions): void {
    if (type !== 'abort' || !listener || this.aborted) return;
    const held = this.#listeners;
    if (held === undefined) this.#listeners = listener;
    else if (!Array.isArray(held)) {
      if (held !== listener) this.#listeners = [held, listener];
    } else if (!held.includes(listener)) held.push(listener);
    // An EventTarget's listener with a signal of its own leaves when that signal aborts.
    const until = typeof options === 'object' ? options.signal : undefined;
    if (until) {
      if (until.aborted) this.removeEventListener(type, listener);
      else until.addEventListener('abort', () => this.removeEventListener(type, listener), { once: true });
    }
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    if (type !== 'abort' || !listener) return;
    const held = this.#listeners;
    if (held === listener) this.#listeners = undefined;
    else if (Array.isArray(held)) {
      const i = held.indexOf(listener);
      if (i >= 0) held.splice(i, 1);
    }
  }

  /** Not an EventTarget: only abort() dispatches. */
  dispatchEvent(): boolean {
    throw new TypeError('a call step signal dispatches only its own abort');
  }

  /** Aborts (the first time only): `onabort` and then the listeners, in the order they were added, each once. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const event = new Event('abort');
    Object.defineProperties(event, { target: { value: this }, currentTarget: { value: this } });
    if (this.onabort) this.call(this.onabort, event);
    const held = this.#listeners;
    if (Array.isArray(held)) {
      // A listener another one removed before its turn is not called.
      for (const l of [...held]) if (this.#listeners === held && held.includes(l)) this.call(l, event);
    } else if (held) this.call(held, event);
    this.#listeners = undefined;
    this.#native?.abort(reason);
  }

  /** A real AbortSignal that aborts with this one, for APIs that check the brand; made once, when first asked for. */
  native(): AbortSignal {
    if (!this.#native) {
      this.#native = new AbortController();
      if (this.aborted) this.#native.abort(this.reason);
    }
    return this.#native.signal;
  }

  /** As an EventTarget does: a listener that throws does not stop the others; its error is uncaught. */
  private call(listener: AbortListener | ((this: AbortSignal, ev: Event) => unknown), event: Event): void {
    try {
      if (typeof listener === 'function') listener.call(this, event);
      else listener.handleEvent(event);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
    }
  }
}

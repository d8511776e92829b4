import type { Slice } from "./slice.js";
import type { BarEvent, EngineEvent, EngineEventMap } from "./types.js";

/** An event listener; it may return anything, and only a returned promise is awaited. */
export type Listener<E> = (event: E) => unknown;

/**
 * Typed event hub. `emit` calls listeners in order and returns a promise only when some
 * listener returned one, so synchronous strategies cost no microtask per event while async
 * ones are awaited (backpressure). `has()` lets the producer skip building events nobody
 * listens to.
 */
export class EventHub {
  private readonly byType = new Map<string, Listener<EngineEvent>[]>();
  private readonly any: Listener<EngineEvent>[] = [];
  /** The `bar` listeners (the per-bar path reads this list directly: no lookup per event). */
  private readonly barList: Listener<EngineEvent>[] = [];

  constructor() {
    this.byType.set("bar", this.barList);
  }
  /** Listener counts by type (plus `any`), read per event: a property load, no map lookup. */
  private readonly counts: Record<string, number> = Object.create(null);

  on<K extends keyof EngineEventMap>(type: K, fn: Listener<EngineEventMap[K]>): () => void {
    const list = this.byType.get(type) ?? [];
    list.push(fn as Listener<EngineEvent>);
    this.byType.set(type, list);
    this.recount();
    return () => this.remove(list, fn as Listener<EngineEvent>);
  }

  /** Called whenever listeners are added or removed (the engine caches `has()` answers). */
  onChange: (() => void) | undefined;

  /** Listens to every event. */
  onAny(fn: Listener<EngineEvent>): () => void {
    this.any.push(fn);
    this.recount();
    return () => this.remove(this.any, fn);
  }

  /** True when anybody listens to `type`. */
  has(type: keyof EngineEventMap): boolean {
    return (this.counts[type] ?? 0) > 0;
  }

  /** Hands a slice to the `slice` listeners only (not to `onAny`). */
  emitSlice(slice: Slice, onError: (err: unknown) => void): void | Promise<void> {
    const list = this.byType.get("slice") as unknown as Listener<Slice>[] | undefined;
    if (!list) return;
    let pending: Promise<unknown>[] | undefined;
    for (let i = 0; i < list.length; i++) pending = call(list[i], slice, onError, pending);
    if (pending) return Promise.all(pending).then(() => undefined);
  }

  /** Hands a bar event to the `bar` listeners and those of every event, as `emit` does. */
  emitBar(event: BarEvent, onError: (err: unknown) => void): void | Promise<void> {
    const list = this.barList;
    let pending: Promise<unknown>[] | undefined;
    for (let i = 0; i < list.length; i++) pending = call(list[i], event, onError, pending);
    const any = this.any;
    for (let i = 0; i < any.length; i++) pending = call(any[i], event, onError, pending);
    if (pending) return Promise.all(pending).then(() => undefined);
  }

  emit(event: EngineEvent, onError: (err: unknown) => void): void | Promise<void> {
    const list = this.byType.get(event.type);
    let pending: Promise<unknown>[] | undefined;
    if (list) for (let i = 0; i < list.length; i++) pending = call(list[i], event, onError, pending);
    const any = this.any;
    for (let i = 0; i < any.length; i++) pending = call(any[i], event, onError, pending);
    if (pending) return Promise.all(pending).then(() => undefined);
  }

  private remove(list: Listener<EngineEvent>[], fn: Listener<EngineEvent>): void {
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
    this.recount();
  }

  private recount(): void {
    const types: (keyof EngineEventMap)[] = [
      "bar",
      "quote",
      "tick",
      "preOpen",
      "open",
      "breakStart",
      "breakEnd",
      "close",
      "postClose",
      "roll",
      "gap",
      "gapFilled",
      "gapAbandoned",
      "corporateAction",
      "rename",
    ];
    for (const t of types) this.counts[t] = this.any.length + (this.byType.get(t)?.length ?? 0);
    this.counts.slice = this.byType.get("slice")?.length ?? 0;
    this.onChange?.();
  }
}

/**
 * An async iterator over events with a bounded buffer: when the consumer falls `highWater`
 * events behind, the producer's emit waits until it catches up.
 */
export function eventIterator(
  hub: EventHub,
  highWater = 1024,
  slices = false,
): AsyncIterableIterator<EngineEvent | Slice> & {
  end(): void;
} {
  const queue: (EngineEvent | Slice)[] = [];
  let wake: (() => void) | undefined;
  let drained: (() => void) | undefined;
  let ended = false;
  const take = (event: EngineEvent | Slice) => {
    if (ended) return;
    queue.push(event);
    wake?.();
    wake = undefined;
    if (queue.length >= highWater) return new Promise<void>((r) => (drained = r));
  };
  const offAny = hub.onAny(take);
  const offSlice = slices ? hub.on("slice", (s) => take(s.copy())) : undefined;
  const off = () => {
    offAny();
    offSlice?.();
  };
  const iterator = {
    async next(): Promise<IteratorResult<EngineEvent | Slice>> {
      for (;;) {
        const event = queue.shift();
        if (event) {
          if (queue.length < highWater / 2) {
            drained?.();
            drained = undefined;
          }
          return { value: event, done: false };
        }
        if (ended) return { value: undefined, done: true };
        await new Promise<void>((r) => (wake = r));
      }
    },
    async return(): Promise<IteratorResult<EngineEvent | Slice>> {
      iterator.end();
      return { value: undefined, done: true };
    },
    end(): void {
      ended = true;
      off();
      drained?.();
      wake?.();
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** Calls one listener; a returned promise joins `pending` (created on the first one). */
function call<E>(
  fn: Listener<E>,
  event: E,
  onError: (err: unknown) => void,
  pending: Promise<unknown>[] | undefined,
): Promise<unknown>[] | undefined {
  try {
    const r = fn(event);
    if (isPromise(r)) (pending ??= []).push(r.catch(onError));
  } catch (err) {
    onError(err);
  }
  return pending;
}

function isPromise(x: unknown): x is Promise<unknown> {
  return x !== null && typeof x === "object" && typeof (x as Promise<unknown>).then === "function";
}

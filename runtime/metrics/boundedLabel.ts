/**
 * Label values that clients choose (operation names) would let any client
 * add time series without end. The first `max` distinct values are kept;
 * later ones are counted as `other`.
 */
export class BoundedLabel {
  readonly #seen = new Set<string>();

  constructor(private readonly max: number) {}

  value(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.max) return 'other';
    this.#seen.add(value);
    return value;
  }
}

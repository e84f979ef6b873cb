/** Bounds concurrent work; waiters are served in arrival order. */
export class Semaphore {
  private readonly waiters: Array<() => void> = [];
  constructor(private available: number) {
    if (available < 1) throw new RangeError('semaphore needs at least one slot');
  }

  async acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }

  get pending(): number {
    return this.waiters.length;
  }
}

/** Emulator time: every modelled duration (service time, windows, Retry-After) is multiplied by `scale`. */
export class ScaledClock {
  constructor(readonly scale: number) {
    if (!(scale > 0)) throw new Error('time scale must be > 0');
  }

  /** Milliseconds on the wall clock for a modelled duration. */
  ms(modelledMs: number): number {
    return modelledMs * this.scale;
  }

  now(): number {
    return performance.now();
  }

  sleep(modelledMs: number): Promise<void> {
    const ms = this.ms(modelledMs);
    return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
  }
}

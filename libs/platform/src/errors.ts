import { ERROR_CODES, type ErrorBody, type ErrorCode } from '@glimpse/contracts';

/** An error that crosses service boundaries: it has a stable `code`, and maps to an HTTP status. */
export class GlimpseError extends Error {
  override readonly name: string = 'GlimpseError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** Only transport failures, timeouts and unavailable dependencies are worth retrying. */
  get transient(): boolean {
    return ERROR_CODES[this.code].transient;
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }

  static from(err: unknown): GlimpseError {
    if (err instanceof GlimpseError) return err;
    return new GlimpseError('INTERNAL', 'internal error', { cause: err });
  }
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /** `problems`: one `NAME: what is wrong` per bad variable, when the message lists them (see invalidEnv). */
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

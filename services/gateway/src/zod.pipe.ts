import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import type { z } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';

/**
 * Validates (and coerces) one handler argument against a zod schema; failures are 400s that name the
 * field. The OpenAPI document reads `schema` from the handler's pipes (openapi/document.ts).
 */
@Injectable()
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  /** `emptyBody`: what a request without a body stands for (else it is a 400). */
  constructor(
    readonly schema: S,
    readonly opts: { emptyBody?: unknown } = {},
  ) {}

  transform(value: unknown, meta: ArgumentMetadata): z.infer<S> {
    if (meta.type === 'body' && value === undefined && 'emptyBody' in this.opts) value = this.opts.emptyBody;
    if (meta.type === 'body' && value === undefined) {
      throw new GlimpseError('INVALID_REQUEST', 'missing body: send a JSON object with Content-Type: application/json');
    }
    return validate(this.schema, value, describe(meta));
  }
}

/** Parses `value` or throws a 400 naming `where` and the offending fields. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new GlimpseError('INVALID_REQUEST', formatIssues(result.error, where));
}

function describe(meta: ArgumentMetadata): string {
  if (meta.type === 'param') return `path parameter '${meta.data}'`;
  if (meta.type === 'query') return meta.data ? `query parameter '${meta.data}'` : 'query';
  return 'body';
}

export function formatIssues(error: z.ZodError, where: string): string {
  const issues = error.issues.slice(0, 5).map((i) => {
    const path = i.path.map(String).join('.');
    return path ? `${path}: ${i.message}` : i.message;
  });
  return `invalid ${where}: ${issues.join('; ')}`;
}

/**
 * Passes a query through unvalidated, naming its schema for the OpenAPI document: for a handler that must
 * clean up (a saved upload) when validation fails, and so validates the query itself.
 */
@Injectable()
export class RawQuery<S extends z.ZodType> implements PipeTransform<unknown, unknown> {
  constructor(readonly schema: S) {}

  transform(value: unknown): unknown {
    return value;
  }
}

import { z } from 'zod';

/** A JSON request answered by exactly one member of a queue group. */
export interface RequestContract<Req extends z.ZodType, Rep extends z.ZodType> {
  readonly kind: 'request';
  readonly subject: string;
  readonly request: Req;
  readonly reply: Rep;
}

/** A request whose body is raw bytes (an image) with metadata in NATS headers. */
export interface BinaryRequestContract<H extends z.ZodType, Rep extends z.ZodType> {
  readonly kind: 'binary-request';
  readonly subject: string;
  readonly headers: H;
  readonly reply: Rep;
}

/** A fire-and-forget event; `subject(...)` builds the concrete subject, `pattern` subscribes to all. */
export interface EventContract<P extends z.ZodType, Args extends unknown[] = []> {
  readonly kind: 'event';
  readonly pattern: string;
  readonly subject: (...args: Args) => string;
  readonly payload: P;
}

/** What a caller passes: the schema's input, so fields with defaults may be left out. */
export type RequestOf<C> = C extends RequestContract<infer R, z.ZodType> ? z.input<R> : never;
export type ReplyOf<C> =
  C extends RequestContract<z.ZodType, infer R>
    ? z.infer<R>
    : C extends BinaryRequestContract<z.ZodType, infer R>
      ? z.infer<R>
      : never;
export type HeadersOf<C> = C extends BinaryRequestContract<infer H, z.ZodType> ? z.infer<H> : never;
export type PayloadOf<C> = C extends EventContract<infer P, infer _A> ? z.infer<P> : never;

export const defineRequest = <Req extends z.ZodType, Rep extends z.ZodType>(
  subject: string,
  request: Req,
  reply: Rep,
): RequestContract<Req, Rep> => ({ kind: 'request', subject, request, reply });

export const defineBinaryRequest = <H extends z.ZodType, Rep extends z.ZodType>(
  subject: string,
  headers: H,
  reply: Rep,
): BinaryRequestContract<H, Rep> => ({ kind: 'binary-request', subject, headers, reply });

export const defineEvent = <P extends z.ZodType, Args extends unknown[]>(
  pattern: string,
  subject: (...args: Args) => string,
  payload: P,
): EventContract<P, Args> => ({ kind: 'event', pattern, subject, payload });

import { z } from 'zod';
import { defineEvent } from '../common/define';
import { streamSchema } from '../common/stream';

/** Published by capture whenever a stream changes state (and periodically while it runs). */
export const pattern = 'glimpse.stream.status.*';
export const subjectFor = (streamId: string) => `glimpse.stream.status.${streamId}`;

export const payload = streamSchema;
export type Payload = z.infer<typeof payload>;

export const contract = defineEvent(pattern, subjectFor, payload);

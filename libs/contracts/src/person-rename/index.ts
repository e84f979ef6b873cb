import { z } from 'zod';
import { defineRequest } from '../common/define';
import { uuidSchema } from '../common/face';
import { personNameSchema, personSchema } from '../common/person';

/** Names a person, or (null) makes it unnamed again. Publishes `person.renamed` when the name changes. */
export const subject = 'glimpse.matcher.persons.rename';
export const queue = 'matcher';

export const request = z.strictObject({ id: uuidSchema, name: personNameSchema.nullable() });
export type Request = z.input<typeof request>;

export const reply = personSchema;
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);

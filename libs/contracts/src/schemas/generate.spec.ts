import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSchemaFiles } from './generate';

const DIR = join(__dirname, '..', '..', 'schemas');
const HINT = 'libs/contracts/schemas is out of date: run `npm run schemas -w @glimpse/contracts` and commit the result';

describe('committed JSON Schemas', () => {
  const generated = generateSchemaFiles();

  it('exist for exactly the current contracts', () => {
    const committed = readdirSync(DIR)
      .filter((f) => f.endsWith('.json') || f === 'README.md')
      .sort();
    const expected = Object.keys(generated).sort();
    if (JSON.stringify(committed) !== JSON.stringify(expected)) {
      throw new Error(
        `${HINT}\nmissing: ${expected.filter((f) => !committed.includes(f)).join(', ') || '-'}\n` +
          `stale: ${committed.filter((f) => !expected.includes(f)).join(', ') || '-'}`,
      );
    }
  });

  it('match what the contracts generate now', () => {
    const differ = Object.entries(generated).filter(([name, content]) => {
      try {
        return readFileSync(join(DIR, name), 'utf8') !== content;
      } catch {
        return true;
      }
    });
    if (differ.length) throw new Error(`${HINT}\ndiffering: ${differ.map(([n]) => n).join(', ')}`);
  });

  it('cover every request, reply and event type', () => {
    const names = Object.keys(generated);
    for (const f of [
      'glimpse.matcher.persons.merge.request.schema.json',
      'glimpse.matcher.persons.enroll.reply.schema.json',
      'glimpse.matcher.faces.search.request.schema.json',
      'glimpse.frame.recognize.headers.schema.json',
      'glimpse.recognition._.payload.schema.json',
      'glimpse.health._.reply.schema.json',
      'glimpse.events.schema.json',
      'glimpse.events.sighting.started.schema.json',
      'glimpse.events.person.deleted.schema.json',
    ]) {
      expect(names).toContain(f);
    }
    const deleted = JSON.parse(generated['glimpse.events.person.deleted.schema.json']);
    expect(deleted.properties.type).toEqual({ type: 'string', const: 'person.deleted' });
    expect(deleted.properties.data.required).toEqual(['personId', 'reason', 'deletedFaces']);
  });
});

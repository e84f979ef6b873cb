import { describeUrl } from './postgres.database';

describe('describeUrl', () => {
  it('names host, port and database, never the user or password', () => {
    const d = describeUrl('postgres://glimpse:s3cret@db.internal:6543/faces?sslmode=require');
    expect(d).toBe('postgres:db.internal:6543/faces');
    expect(d).not.toMatch(/s3cret|glimpse@|sslmode/);
  });

  it('fills in the default port and says so when no database is named', () => {
    expect(describeUrl('postgresql://u:p@localhost')).toBe('postgres:localhost:5432/(default)');
  });

  it('says only "postgres" for a URL it cannot parse', () => {
    expect(describeUrl('postgres://u:p@[bad')).toBe('postgres');
  });
});

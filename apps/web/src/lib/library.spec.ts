import { durationText, listQuery, nameOrNull, toggleSelection } from './library';

describe('library helpers', () => {
  it('builds list queries without empty parameters', () => {
    expect(listQuery('/api/v1/persons', { page: 2, pageSize: 24, name: '  ann ' })).toBe(
      '/api/v1/persons?page=2&pageSize=24&name=ann',
    );
    expect(listQuery('/api/v1/persons', { page: 1, name: '' })).toBe('/api/v1/persons?page=1');
    expect(listQuery('/api/v1/sightings', { streamId: null })).toBe('/api/v1/sightings');
    expect(listQuery('/x', { name: 'a&b' })).toBe('/x?name=a%26b');
  });

  it('keeps at most two picks, in order', () => {
    expect(toggleSelection([], 'a')).toEqual(['a']);
    expect(toggleSelection(['a'], 'b')).toEqual(['a', 'b']);
    expect(toggleSelection(['a', 'b'], 'c')).toEqual(['b', 'c']);
    expect(toggleSelection(['a', 'b'], 'a')).toEqual(['b']);
  });

  it('formats durations', () => {
    const t0 = '2026-01-01T12:00:00.000Z';
    expect(durationText(t0, '2026-01-01T12:00:04.400Z')).toBe('4 s');
    expect(durationText(t0, '2026-01-01T12:02:05.000Z')).toBe('2 min 5 s');
    expect(durationText(t0, '2026-01-01T12:03:00.000Z')).toBe('3 min');
    expect(durationText(t0, '2026-01-01T13:03:00.000Z')).toBe('1 h 3 min');
    expect(durationText(t0, null, Date.parse('2026-01-01T12:00:10.000Z'))).toBe('10 s');
  });

  it('blank names clear the name', () => {
    expect(nameOrNull('  Ann   Lee ')).toBe('Ann Lee');
    expect(nameOrNull('   ')).toBeNull();
  });
});

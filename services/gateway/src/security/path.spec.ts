import { isApiPath, loosePath, nonCanonical } from './path';

describe('path classification', () => {
  it('reads a path as the most lenient server would', () => {
    expect(loosePath('/API//v1/./x/../persons/')).toBe('/api/v1/persons');
    expect(loosePath('/%61pi/v1%2Fpersons;jsessionid=1')).toBe('/api/v1/persons');
    expect(loosePath('/api\\v1\\persons')).toBe('/api/v1/persons');
    expect(loosePath('/%252e%252e/api')).toBe('/api'); // decoded twice, then resolved
    expect(loosePath('/x/%')).toBe('/x/%');
  });

  it('takes every spelling of /api for the API, and nothing else', () => {
    for (const p of [
      '/api',
      '/api/v1/persons',
      '/API/v1/persons',
      '//api/v1',
      '/Api/V1/faces/1/crop',
      '/%61pi/v1',
      '/x/../api/v1',
      '/api;x/v1',
      '/ api/v1',
    ]) {
      expect({ p, api: isApiPath(p) }).toEqual({ p, api: true });
    }
    // a parameter that resolves away from /api still routes there as sent
    for (const p of [
      '/api/v1/persons/..%2f..%2f..%2f..%2fx/faces',
      '/api/v1/persons/..\\..\\..\\x',
      '/api/v1/faces/..%252f..%252f..%252fx/crop',
    ]) {
      expect({ p, api: isApiPath(p) }).toEqual({ p, api: true });
    }
    for (const p of ['/', '/index.html', '/assets/api.js', '/apix', '/healthz', '/api-docs'])
      expect({ p, api: isApiPath(p) }).toEqual({ p, api: false });
  });
});

describe('canonical paths', () => {
  it('accepts the documented spellings, with percent-escapes of reserved characters in params', () => {
    for (const p of [
      '/api/v1/persons',
      '/api/v1/faces/00000000-0000-4000-8000-000000000000/crop',
      '/api/docs/swagger-ui.css',
      '/',
      '/api/v1/persons/a%20b',
    ]) {
      expect({ p, why: nonCanonical(p) }).toEqual({ p, why: null });
    }
  });

  it.each([
    ['/api//v1/persons', /empty segment/],
    ['/api/v1/persons/', /ends with/],
    ['/api/./v1/persons', /\. or \.\./],
    ['/api/v1/x/../persons', /\. or \.\./],
    ['/api/v1%2Fpersons', /"\/"/],
    ['/api/v1/%2e/persons', /"\."/],
    ['/api/v1/%70ersons', /"p"/],
    ['/api/v1/persons;x', /;/],
    ['/api\\v1/persons', /backslash/],
    ['/api/v1/persons/%zz', /malformed/],
    ['/api/v1/persons/%2500', /"%"/],
    ['/api/v1/persons/%00', /"\\u0000"/],
    ['api/v1/persons', /start with/],
  ])('refuses %s', (p, why) => {
    expect(nonCanonical(p)).toMatch(why);
  });
});

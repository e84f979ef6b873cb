import { METHODS } from 'node:http';
import type { Request } from 'express';

import { ROUTE_METHODS } from '../auth/route-table';

interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/**
 * Which methods some route of the app serves at this path, asked of Express's own router (so with its
 * case-sensitive, strict matching) rather than of a second route table. Routes that take every method
 * are middleware mounted per route (request metrics), not handlers.
 */
export function allowedMethods(req: Request): string[] {
  const stack = (req.app as unknown as { router?: { stack: RouteLayer[] } }).router?.stack ?? [];
  const allow = new Set<string>();
  for (const layer of stack) {
    const methods = layer.route?.methods;
    if (!methods || METHODS.every((m) => methods[m.toLowerCase()])) continue;
    if (!layer.match(req.path)) continue;
    for (const [m, on] of Object.entries(methods)) if (on) allow.add(m.toUpperCase());
  }
  if (allow.has('GET')) allow.add('HEAD');
  return ROUTE_METHODS.filter((m) => allow.has(m));
}

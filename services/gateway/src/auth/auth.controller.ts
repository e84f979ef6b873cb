import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { singleLineText, z } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { HttpProblem } from '../problem';
import { JsonBody } from '../http/body';
import { ZodPipe } from '../zod.pipe';
import { expandScopes, readCookie, scopeSchema, UI_COOKIE } from './api-key';
import { ApiKeyStore, storedKeySchema } from './api-key.store';
import { AuthService } from './auth.service';
import { Public, RequireScope } from './access';
import { Doc } from '../openapi/doc';
import { RateLimited } from '../security/limits';

export const createKeyBody = z.strictObject({
  name: singleLineText(1, 100),
  scopes: z.array(scopeSchema).min(1).max(3),
});
export const loginBody = z.strictObject({ key: z.string().min(1).max(512) });
const apiKeyInfo = storedKeySchema.omit({ hash: true });
const uiSession = z.strictObject({ scopes: z.array(scopeSchema), expiresAt: z.iso.datetime() });

/** API keys (admin scope, enforced by AuthGuard). */
@Controller('api/v1/api-keys')
@RequireScope('admin')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyStore) {}

  /** 201 with the key itself: shown this once, only its hash is kept. */
  @Doc({
    tag: 'admin',
    summary: 'Create an API key (admin scope)',
    description: 'The answer carries the key itself, shown only this once.',
    status: 201,
    reply: apiKeyInfo.extend({ key: z.string() }),
    errors: [...[400, 503], 415],
  })
  @Post()
  @Header('Cache-Control', 'no-store')
  @JsonBody()
  async create(@Body(new ZodPipe(createKeyBody, { emptyBody: {} })) { name, scopes }: z.infer<typeof createKeyBody>) {
    const k = await this.keys.create(name, [...new Set(scopes)]);
    return { id: k.id, name: k.name, scopes: k.scopes, createdAt: k.createdAt, key: k.key };
  }

  @Doc({
    tag: 'admin',
    summary: 'API keys, never their secrets (admin scope)',
    reply: z.strictObject({ items: z.array(apiKeyInfo) }),
    errors: [400, 503],
  })
  @Get()
  async list() {
    return { items: await this.keys.list() };
  }

  @Doc({
    tag: 'admin',
    summary: 'Revoke an API key (admin scope)',
    status: 204,
    reply: null,
    errors: [...[400, 503], 404],
  })
  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id') id: string): Promise<void> {
    if (!(await this.keys.delete(id))) throw new GlimpseError('NOT_FOUND', `no API key ${id}`);
  }
}

/** The web client's sign-in: trade an API key for an HttpOnly session cookie. Open to everyone (AuthGuard exempts it). */
@Controller('api/v1/auth/session')
@Public()
export class AuthSessionController {
  constructor(private readonly auth: AuthService) {}

  @Doc({
    tag: 'auth',
    summary: "Sign in: trade an API key for the web client's HttpOnly session cookie",
    status: 201,
    reply: uiSession,
    errors: [400, 401, 415, 429, 503],
  })
  @Post()
  @Header('Cache-Control', 'no-store')
  @RateLimited('sign-in')
  @JsonBody()
  async login(
    @Body(new ZodPipe(loginBody, { emptyBody: {} })) { key }: z.infer<typeof loginBody>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const p = await this.auth.verifyKey(key.trim());
    if (!p)
      throw new HttpProblem('UNAUTHORIZED', 'this API key is not valid', {
        'WWW-Authenticate': 'Bearer realm="glimpse", error="invalid_token"',
      });
    const { value, exp } = this.auth.openUiSession(p);
    res.cookie(UI_COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      maxAge: exp * 1000 - Date.now(),
      encode: (v: string) => v,
    });
    return { scopes: expandScopes(p.scopes), expiresAt: new Date(exp * 1000).toISOString() };
  }

  @Doc({ tag: 'auth', summary: 'The signed-in session (cookie)', reply: uiSession, errors: [401, 503] })
  @Get()
  @Header('Cache-Control', 'no-store')
  async current(@Req() req: Request) {
    const p = await this.auth.verifyCookie(readCookie(req.headers.cookie, UI_COOKIE));
    if (!p) throw new HttpProblem('UNAUTHORIZED', 'not signed in', { 'WWW-Authenticate': 'Bearer realm="glimpse"' });
    return { scopes: expandScopes(p.scopes), expiresAt: new Date(p.exp * 1000).toISOString() };
  }

  @Doc({
    tag: 'auth',
    summary: 'Sign out (revokes the cookie everywhere)',
    status: 204,
    reply: null,
    errors: [503],
  })
  @Delete()
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.closeUiSession(readCookie(req.headers.cookie, UI_COOKIE));
    res.clearCookie(UI_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
  }
}

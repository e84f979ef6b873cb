export { ApiKeysController, AuthSessionController } from './auth.controller';
export { AuthGuard } from './auth.guard';
export { AuthService } from './auth.service';
export { ApiKeyStore } from './api-key.store';

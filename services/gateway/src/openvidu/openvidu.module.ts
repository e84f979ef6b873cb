import { Module, type DynamicModule } from '@nestjs/common';
import { SESSION_MODE_PROVIDER } from '../sessions/session.service';
import { OPENVIDU_CONFIG, type OpenViduConfig } from './openvidu.config';
import { OPENVIDU_REQUEST_TIMEOUT, OpenViduProvider } from './openvidu.provider';
import { OpenViduRepository } from './openvidu.repository';

/**
 * OpenVidu mode, when OPENVIDU_URL and OPENVIDU_SECRET are set: provides SESSION_MODE_PROVIDER,
 * which SessionService uses for `mode: 'openvidu'` sessions. Otherwise it provides nothing.
 * Its settings are the gateway config's `openvidu` (null: off).
 */
@Module({})
export class OpenViduModule {
  static forRoot(cfg: OpenViduConfig | null, opts: { requestTimeoutMs: number }): DynamicModule {
    if (!cfg) return { module: OpenViduModule };
    return {
      module: OpenViduModule,
      providers: [
        { provide: OPENVIDU_CONFIG, useValue: cfg },
        { provide: OPENVIDU_REQUEST_TIMEOUT, useValue: opts.requestTimeoutMs },
        OpenViduRepository,
        OpenViduProvider,
        { provide: SESSION_MODE_PROVIDER, useExisting: OpenViduProvider },
      ],
      exports: [SESSION_MODE_PROVIDER, OpenViduProvider],
    };
  }
}

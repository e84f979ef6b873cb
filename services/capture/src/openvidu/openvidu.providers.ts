import type { Provider } from '@nestjs/common';
import { loadOpenViduCaptureConfig, OPENVIDU_CAPTURE_CONFIG } from './openvidu.config';
import { OpenViduHandlers } from './openvidu.handlers';
import { OpenViduService } from './openvidu.service';

/**
 * What AppModule adds for OpenVidu mode. The variables are read here, once, at start-up (the
 * capture schema does not list them); a bad one stops the service with the others.
 */
export const openViduProviders = (env: NodeJS.ProcessEnv = process.env): Provider[] => [
  { provide: OPENVIDU_CAPTURE_CONFIG, useValue: loadOpenViduCaptureConfig(env) },
  OpenViduService,
  OpenViduHandlers,
];

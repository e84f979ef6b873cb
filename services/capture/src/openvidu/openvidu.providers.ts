import type { Provider } from '@nestjs/common';
import { OPENVIDU_CAPTURE_CONFIG, type OpenViduCaptureConfig } from './openvidu.config';
import { OpenViduHandlers } from './openvidu.handlers';
import { OpenViduService } from './openvidu.service';

/** What AppModule adds for OpenVidu mode, with the capture config's `openvidu` settings. */
export const openViduProviders = (cfg: OpenViduCaptureConfig): Provider[] => [
  { provide: OPENVIDU_CAPTURE_CONFIG, useValue: cfg },
  OpenViduService,
  OpenViduHandlers,
];

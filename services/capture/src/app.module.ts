import { Module, type DynamicModule } from '@nestjs/common';
import { BusModule, natsConnectionSettings } from '@glimpse/platform';
import { CameraHandlers } from './cameras/camera.handlers';
import { CameraRunner } from './cameras/camera.runner';
import { CameraService } from './cameras/camera.service';
import { CameraStore } from './cameras/camera.store';
import { CaptureHandlers } from './capture.handlers';
import { CaptureMetrics, CaptureMetricsLifecycle } from './capture.metrics';
import { CAPTURE_CONFIG, type CaptureConfig } from './config';
import { FfmpegSourceFactory } from './ffmpeg.source';
import { FRAME_SOURCES } from './frame-source';
import { openViduProviders } from './openvidu/openvidu.providers';
import { StreamManager } from './stream.manager';
import { WhipService } from './webrtc/whip.service';

@Module({})
export class AppModule {
  static forRoot(cfg: CaptureConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        BusModule.forRoot({ servers: cfg.NATS_URL, name: cfg.INSTANCE_ID, connection: natsConnectionSettings(cfg) }),
      ],
      providers: [
        { provide: CAPTURE_CONFIG, useValue: cfg },
        FfmpegSourceFactory,
        { provide: FRAME_SOURCES, useExisting: FfmpegSourceFactory },
        StreamManager,
        {
          provide: CaptureMetrics,
          useFactory: (streams: StreamManager) => {
            const metrics = new CaptureMetrics();
            metrics.attach(streams);
            return metrics;
          },
          inject: [StreamManager],
        },
        CaptureMetricsLifecycle,
        WhipService,
        CaptureHandlers,
        CameraStore,
        CameraService,
        CameraHandlers,
        CameraRunner,
        ...openViduProviders(cfg.openvidu),
      ],
    };
  }
}

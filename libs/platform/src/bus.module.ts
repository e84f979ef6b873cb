import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Bus, type BusOptions } from './bus';
import { natsConnectionFromEnv } from './config';

export const BUS = Symbol('Bus');
export const InjectBus = () => Inject(BUS);

@Injectable()
class BusCloser implements OnApplicationShutdown {
  constructor(@Inject(BUS) private readonly bus: Bus) {}
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

/** Provides one connected `Bus` per service, drained when Nest shuts down. */
@Global()
@Module({})
export class BusModule {
  /** Without `connection`, credentials and TLS come from NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_CREDS and NATS_TLS_*. */
  static forRoot(
    opts: Pick<BusOptions, 'servers' | 'name' | 'requestTimeoutMs' | 'connection' | 'replicas'>,
  ): DynamicModule {
    return {
      module: BusModule,
      providers: [
        {
          provide: BUS,
          useFactory: () => Bus.connect({ connection: natsConnectionFromEnv(), ...opts, logger: new Logger('Bus') }),
        },
        BusCloser,
      ],
      exports: [BUS],
    };
  }
}

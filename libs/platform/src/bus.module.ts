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
import type { NatsConnectionSettings } from './config';

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
  /** `connection`: the service config's credentials and TLS (natsConnectionSettings of its parsed environment). */
  static forRoot(
    opts: Pick<BusOptions, 'servers' | 'name' | 'requestTimeoutMs' | 'replicas'> & {
      connection: NatsConnectionSettings;
    },
  ): DynamicModule {
    return {
      module: BusModule,
      providers: [
        {
          provide: BUS,
          useFactory: () => Bus.connect({ ...opts, logger: new Logger('Bus') }),
        },
        BusCloser,
      ],
      exports: [BUS],
    };
  }
}

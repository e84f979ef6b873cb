import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CameraCheck, CameraCreate, CameraDelete, CameraList, CameraProbe, CameraUpdate } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { CameraService } from './camera.service';

/** Camera settings over the bus; one instance of the `capture` queue group answers each request. */
@Injectable()
export class CameraHandlers implements OnApplicationBootstrap {
  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly cameras: CameraService,
  ) {}

  onApplicationBootstrap(): void {
    this.bus.handle(CameraCreate.contract, (req) => this.cameras.create(req), { queue: CameraCreate.queue });
    this.bus.handle(CameraList.contract, async () => ({ items: await this.cameras.list() }), {
      queue: CameraList.queue,
    });
    this.bus.handle(CameraUpdate.contract, (req) => this.cameras.update(req.id, req.patch), {
      queue: CameraUpdate.queue,
    });
    this.bus.handle(CameraDelete.contract, (req) => this.cameras.remove(req.id), { queue: CameraDelete.queue });
    this.bus.handle(CameraProbe.contract, (req) => this.cameras.probe(req), { queue: CameraProbe.queue });
    this.bus.handle(CameraCheck.contract, (req) => this.cameras.check(req.url), { queue: CameraCheck.queue });
  }
}

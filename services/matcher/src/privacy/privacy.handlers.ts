import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AuditAppend, AuditList, CropsRotate, PersonExport, PrivacyGet } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { AuditService } from '../audit/audit.service';
import { MATCHER_CONFIG, type MatcherConfig } from '../config';
import { CropCipher } from '../crops/crop-cipher';
import { CropRotationService } from '../crops/crop-rotation.service';
import { PersonExportService } from './person-export.service';

/** The matcher's privacy surface (docs/privacy.md): crop key rotation, subject access, the audit trail. */
@Injectable()
export class PrivacyHandlers implements OnApplicationBootstrap {
  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly rotation: CropRotationService,
    private readonly exports: PersonExportService,
    private readonly audit: AuditService,
    private readonly cipher: CropCipher,
    @Inject(MATCHER_CONFIG)
    private readonly config: Pick<
      MatcherConfig,
      'RECOGNITION_MODE' | 'BLUR_UNKNOWN' | 'AUDIT_RETENTION_DAYS' | 'RETENTION_UNNAMED_DAYS'
    >,
  ) {}

  onApplicationBootstrap(): void {
    this.bus.handle(CropsRotate.contract, (req) => this.rotation.rotate(req), { queue: CropsRotate.queue });
    this.bus.handle(PersonExport.contract, (req) => this.exports.export(req), { queue: PersonExport.queue });
    this.bus.handle(AuditAppend.contract, (req) => this.audit.append(req), { queue: AuditAppend.queue });
    this.bus.handle(AuditList.contract, (req) => this.audit.list(req), { queue: AuditList.queue });
    this.bus.handle(PrivacyGet.contract, async () => this.settings(), { queue: PrivacyGet.queue });
  }

  settings(): PrivacyGet.Reply {
    return {
      recognitionMode: this.config.RECOGNITION_MODE,
      blurUnknown: this.config.BLUR_UNKNOWN,
      cropsEncrypted: this.cipher.currentKeyId !== null,
      cropKeyId: this.cipher.currentKeyId,
      auditRetentionDays: this.config.AUDIT_RETENTION_DAYS,
      unnamedRetentionDays: this.config.RETENTION_UNNAMED_DAYS,
    };
  }
}

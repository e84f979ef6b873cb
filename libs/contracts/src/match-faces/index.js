"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.contract = exports.reply = exports.request = exports.queue = exports.subject = void 0;
const zod_1 = require("zod");
const define_1 = require("../common/define");
const face_1 = require("../common/face");
/**
 * Assign each encoded face to its nearest stored person, or to a new one. Queue group `matcher`.
 * Idempotent by `frame.id`: a stored frame sent again with the same id gets the first reply back and
 * stores nothing, publishes nothing (the matcher keeps frame ids for 24 h).
 */
exports.subject = 'glimpse.matcher.match';
exports.queue = 'matcher';
exports.request = zod_1.z.strictObject({
    frame: face_1.frameMetaSchema,
    store: zod_1.z.boolean(),
    threshold: zod_1.z.number().gt(0).lt(2).optional(),
    faces: zod_1.z
        .array(zod_1.z.strictObject({
        box: face_1.boxSchema,
        encoding: face_1.encodingSchema,
        /** JPEG crop of the face, base64. */
        crop: zod_1.z.base64().max(2_000_000),
        /** Picks a sighting's best crop by size and sharpness; without it, the larger box wins. */
        quality: face_1.faceQualitySchema.optional(),
        /** The worker's track of this face in its stream (one face over several snapshots); live video only. */
        track: face_1.trackIdSchema.optional(),
    }))
        .max(100),
});
exports.reply = zod_1.z.strictObject({ faces: zod_1.z.array(face_1.recognizedFaceSchema) });
exports.contract = (0, define_1.defineRequest)(exports.subject, exports.request, exports.reply);
//# sourceMappingURL=index.js.map
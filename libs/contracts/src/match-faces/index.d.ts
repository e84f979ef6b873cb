import { z } from 'zod';
/**
 * Assign each encoded face to its nearest stored person, or to a new one. Queue group `matcher`.
 * Idempotent by `frame.id`: a stored frame sent again with the same id gets the first reply back and
 * stores nothing, publishes nothing (the matcher keeps frame ids for 24 h).
 */
export declare const subject = "glimpse.matcher.match";
export declare const queue = "matcher";
export declare const request: z.ZodObject<{
    frame: z.ZodObject<{
        id: z.ZodOptional<z.ZodString>;
        source: z.ZodString;
        seq: z.ZodNumber;
        capturedAt: z.ZodISODateTime;
        width: z.ZodNumber;
        height: z.ZodNumber;
    }, z.core.$strict>;
    store: z.ZodBoolean;
    threshold: z.ZodOptional<z.ZodNumber>;
    faces: z.ZodArray<z.ZodObject<{
        box: z.ZodObject<{
            x: z.ZodNumber;
            y: z.ZodNumber;
            width: z.ZodNumber;
            height: z.ZodNumber;
        }, z.core.$strict>;
        encoding: z.ZodArray<z.ZodNumber>;
        crop: z.ZodBase64;
        quality: z.ZodOptional<z.ZodObject<{
            faceWidth: z.ZodNumber;
            sharpness: z.ZodNumber;
            yaw: z.ZodOptional<z.ZodNumber>;
        }, z.core.$strict>>;
        track: z.ZodOptional<z.ZodString>;
    }, z.core.$strict>>;
}, z.core.$strict>;
export type Request = z.infer<typeof request>;
export declare const reply: z.ZodObject<{
    faces: z.ZodArray<z.ZodObject<{
        faceId: z.ZodNullable<z.ZodUUID>;
        box: z.ZodObject<{
            x: z.ZodNumber;
            y: z.ZodNumber;
            width: z.ZodNumber;
            height: z.ZodNumber;
        }, z.core.$strict>;
        personId: z.ZodNullable<z.ZodUUID>;
        personNumber: z.ZodNullable<z.ZodNumber>;
        personName: z.ZodNullable<z.ZodString>;
        isNew: z.ZodBoolean;
        distance: z.ZodNullable<z.ZodNumber>;
        similarity: z.ZodNullable<z.ZodNumber>;
        decision: z.ZodOptional<z.ZodEnum<{
            match: "match";
            new: "new";
            unsure: "unsure";
        }>>;
        sightingId: z.ZodOptional<z.ZodUUID>;
        guess: z.ZodOptional<z.ZodNullable<z.ZodObject<{
            personId: z.ZodUUID;
            personNumber: z.ZodNumber;
            personName: z.ZodNullable<z.ZodString>;
            distance: z.ZodNumber;
            similarity: z.ZodNumber;
        }, z.core.$strict>>>;
    }, z.core.$strict>>;
}, z.core.$strict>;
export type Reply = z.infer<typeof reply>;
export declare const contract: import("../common/define").RequestContract<z.ZodObject<{
    frame: z.ZodObject<{
        id: z.ZodOptional<z.ZodString>;
        source: z.ZodString;
        seq: z.ZodNumber;
        capturedAt: z.ZodISODateTime;
        width: z.ZodNumber;
        height: z.ZodNumber;
    }, z.core.$strict>;
    store: z.ZodBoolean;
    threshold: z.ZodOptional<z.ZodNumber>;
    faces: z.ZodArray<z.ZodObject<{
        box: z.ZodObject<{
            x: z.ZodNumber;
            y: z.ZodNumber;
            width: z.ZodNumber;
            height: z.ZodNumber;
        }, z.core.$strict>;
        encoding: z.ZodArray<z.ZodNumber>;
        crop: z.ZodBase64;
        quality: z.ZodOptional<z.ZodObject<{
            faceWidth: z.ZodNumber;
            sharpness: z.ZodNumber;
            yaw: z.ZodOptional<z.ZodNumber>;
        }, z.core.$strict>>;
        track: z.ZodOptional<z.ZodString>;
    }, z.core.$strict>>;
}, z.core.$strict>, z.ZodObject<{
    faces: z.ZodArray<z.ZodObject<{
        faceId: z.ZodNullable<z.ZodUUID>;
        box: z.ZodObject<{
            x: z.ZodNumber;
            y: z.ZodNumber;
            width: z.ZodNumber;
            height: z.ZodNumber;
        }, z.core.$strict>;
        personId: z.ZodNullable<z.ZodUUID>;
        personNumber: z.ZodNullable<z.ZodNumber>;
        personName: z.ZodNullable<z.ZodString>;
        isNew: z.ZodBoolean;
        distance: z.ZodNullable<z.ZodNumber>;
        similarity: z.ZodNullable<z.ZodNumber>;
        decision: z.ZodOptional<z.ZodEnum<{
            match: "match";
            new: "new";
            unsure: "unsure";
        }>>;
        sightingId: z.ZodOptional<z.ZodUUID>;
        guess: z.ZodOptional<z.ZodNullable<z.ZodObject<{
            personId: z.ZodUUID;
            personNumber: z.ZodNumber;
            personName: z.ZodNullable<z.ZodString>;
            distance: z.ZodNumber;
            similarity: z.ZodNumber;
        }, z.core.$strict>>>;
    }, z.core.$strict>>;
}, z.core.$strict>>;

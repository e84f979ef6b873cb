/** This instance's name (health replies, the event relay lease). */
export const INSTANCE_ID = Symbol('InstanceId');

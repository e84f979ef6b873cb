import { z } from '@glimpse/contracts';
import { envBool, envInt, loadConfig } from '@glimpse/platform';

/** The capture side of OpenVidu mode; it needs no address or secret (the gateway sends tokens). */
export const openViduCaptureEnv = z.object({
  /** WebSocket + heartbeat + joinRoom (ms); keep it under the gateway's REQUEST_TIMEOUT_MS so its error arrives first. */
  OPENVIDU_JOIN_TIMEOUT_MS: envInt(8_000, 500),
  /** How long a joined worker waits for the browser to publish (ms), e.g. while it asks for camera permission. */
  OPENVIDU_PUBLISH_TIMEOUT_MS: envInt(120_000, 1_000),
  /** Per JSON-RPC request (ms). */
  OPENVIDU_REQUEST_TIMEOUT_MS: envInt(5_000, 100),
  /** Accept a self-signed certificate on OpenVidu's wss:// (its default `CERTIFICATE_TYPE=selfsigned`). */
  OPENVIDU_INSECURE_TLS: envBool(false),
});

export type OpenViduCaptureConfig = z.infer<typeof openViduCaptureEnv>;
export const OPENVIDU_CAPTURE_CONFIG = Symbol('OpenViduCaptureConfig');

export const loadOpenViduCaptureConfig = (env: NodeJS.ProcessEnv): OpenViduCaptureConfig =>
  loadConfig(openViduCaptureEnv, env);

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, errorText, problemFrom, requestJson } from '../lib/http';
import { ResultsSocket, wsUrl } from '../lib/socket';
import { FINISHED_STATES, type RecognitionMessage, type ServerMessage, type StreamInfo } from '../lib/types';

export type UploadPhase = 'idle' | 'uploading' | 'processing' | 'done' | 'failed';

export interface VideoUploadState {
  phase: UploadPhase;
  fileName: string | null;
  fileSize: number;
  /** 0–1 while uploading. */
  uploaded: number;
  stream: StreamInfo | null;
  faces: number;
}

const IDLE: VideoUploadState = { phase: 'idle', fileName: null, fileSize: 0, uploaded: 0, stream: null, faces: 0 };

/**
 * Video file → `POST /api/v1/streams/upload` (raw body, the file's type) → the stream's results and
 * progress over `/ws`, subscribed by stream id (uploads need no token).
 */
export function useVideoUpload(opts: {
  onResult: (msg: RecognitionMessage) => void;
  onError: (title: string, detail: string) => void;
  onFinished: () => void;
}) {
  const [state, setState] = useState<VideoUploadState>(IDLE);
  const optsRef = useRef(opts);
  optsRef.current = opts;
  const currentId = useRef<string | null>(null);
  const xhrRef = useRef<XMLHttpRequest | null>(null);

  const finished = useRef(false);

  const applyStream = useCallback((s: StreamInfo) => {
    if (s.id !== currentId.current) return;
    const done = FINISHED_STATES.has(s.state);
    if (done && !finished.current) {
      finished.current = true;
      optsRef.current.onFinished();
      if (s.state === 'failed') optsRef.current.onError('Video failed', s.error ?? 'the video could not be processed');
    }
    setState((prev) => ({
      ...prev,
      stream: s,
      phase: done ? (s.state === 'failed' ? 'failed' : 'done') : 'processing',
    }));
  }, []);

  const socketRef = useRef<ResultsSocket | null>(null);

  // created in an effect (not a memo) so that StrictMode's unmount/remount gets a fresh socket
  useEffect(() => {
    const socket = new ResultsSocket({
      url: wsUrl(window.location),
      onMessage: (msg: ServerMessage) => {
        const id = currentId.current;
        if (!id) return;
        if (msg.type === 'recognition' && msg.streamId === id) {
          setState((prev) => ({ ...prev, faces: prev.faces + msg.faces.length }));
          optsRef.current.onResult(msg);
        } else if (msg.type === 'stream') {
          applyStream(msg.stream);
        } else if (msg.type === 'subscribed' && msg.streamId === id) {
          // a short video may have finished before the subscription: catch up once
          requestJson<StreamInfo>(`/api/v1/streams/${encodeURIComponent(id)}`)
            .then(applyStream)
            .catch(() => undefined);
        } else if (msg.type === 'error') {
          optsRef.current.onError('Live results', msg.message);
        }
      },
    });
    socketRef.current = socket;
    return () => {
      socket.close();
      if (socketRef.current === socket) socketRef.current = null;
    };
  }, [applyStream]);

  const detach = useCallback(() => {
    xhrRef.current?.abort();
    xhrRef.current = null;
    if (currentId.current) socketRef.current?.unsubscribe(currentId.current);
    currentId.current = null;
  }, []);

  const upload = useCallback(
    (file: File, fps: number) => {
      detach();
      setState({ ...IDLE, phase: 'uploading', fileName: file.name || 'video', fileSize: file.size });
      const xhr = new XMLHttpRequest();
      xhrRef.current = xhr;
      xhr.open('POST', `/api/v1/streams/upload?fps=${encodeURIComponent(String(fps))}`);
      xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) setState((prev) => ({ ...prev, uploaded: e.loaded / e.total }));
      };
      xhr.onload = () => {
        if (xhrRef.current !== xhr) return;
        xhrRef.current = null;
        if (xhr.status === 201 || xhr.status === 200) {
          let stream: StreamInfo;
          try {
            stream = JSON.parse(xhr.responseText) as StreamInfo;
          } catch {
            setState((prev) => ({ ...prev, phase: 'failed' }));
            optsRef.current.onError('Upload failed', 'the server answered with something that is not a stream');
            return;
          }
          currentId.current = stream.id;
          finished.current = false;
          setState((prev) => ({ ...prev, phase: 'processing', uploaded: 1, stream }));
          socketRef.current?.subscribe(stream.id);
          applyStream(stream);
          return;
        }
        setState((prev) => ({ ...prev, phase: 'failed' }));
        const err = problemFrom(xhr.status, xhr.responseText);
        optsRef.current.onError(`Upload refused: ${err.title}`, err.message);
      };
      xhr.onerror = () => {
        if (xhrRef.current !== xhr) return;
        xhrRef.current = null;
        setState((prev) => ({ ...prev, phase: 'failed' }));
        optsRef.current.onError('Upload failed', 'the connection was interrupted');
      };
      xhr.send(file);
    },
    [applyStream, detach],
  );

  const stop = useCallback(async () => {
    const id = currentId.current;
    if (!id) {
      detach();
      setState(IDLE);
      return;
    }
    try {
      const s = await requestJson<StreamInfo>(`/api/v1/streams/${encodeURIComponent(id)}`, { method: 'DELETE' });
      applyStream(s);
    } catch (err) {
      const { title, detail } = err instanceof ApiError ? { title: err.title, detail: err.message } : errorText(err);
      optsRef.current.onError(`Could not stop the video: ${title}`, detail);
    }
  }, [applyStream, detach]);

  const reset = useCallback(() => {
    detach();
    setState(IDLE);
  }, [detach]);

  return { state, upload, stop, reset };
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { EMPTY_FEED, feedRecognition, feedStatus, type CameraFeed } from '../lib/cameras';
import { BoxTracker } from '../lib/overlay';
import { ResultsSocket, wsUrl } from '../lib/socket';

/**
 * One WebSocket for the Cameras page, subscribed to every camera's stream (a camera's stream id is its id):
 * status messages give each camera's snapshots/s, recognition messages its last result and the boxes of
 * its live view (a BoxTracker per camera, as for the browser camera).
 */
export function useCameraFeeds(ids: readonly string[], active: boolean) {
  const [feeds, setFeeds] = useState<Record<string, CameraFeed>>({});
  const trackers = useRef(new Map<string, BoxTracker>());
  const socketRef = useRef<ResultsSocket | null>(null);

  const trackerFor = useCallback((id: string) => {
    let t = trackers.current.get(id);
    if (!t) trackers.current.set(id, (t = new BoxTracker()));
    return t;
  }, []);

  // created in an effect (not a memo) so that StrictMode's unmount/remount gets a fresh socket
  useEffect(() => {
    if (!active) return;
    const socket = new ResultsSocket({
      url: wsUrl(window.location),
      onMessage: (msg) => {
        if (msg.type === 'recognition') {
          trackerFor(msg.streamId).update(msg.faces, msg.frame, performance.now());
          setFeeds((f) => ({ ...f, [msg.streamId]: feedRecognition(f[msg.streamId] ?? EMPTY_FEED, msg) }));
        } else if (msg.type === 'stream') {
          const id = msg.stream.id;
          setFeeds((f) => ({ ...f, [id]: feedStatus(f[id] ?? EMPTY_FEED, msg.stream.framesProcessed, Date.now()) }));
        }
      },
    });
    socketRef.current = socket;
    return () => {
      socket.close();
      if (socketRef.current === socket) socketRef.current = null;
    };
  }, [active, trackerFor]);

  const key = ids.join(',');
  useEffect(() => {
    const socket = socketRef.current;
    if (!socket || !key) return;
    const topics = key.split(',');
    for (const id of topics) socket.subscribe(id);
    return () => topics.forEach((id) => socket.unsubscribe(id));
  }, [key, active]);

  return { feeds, trackerFor };
}

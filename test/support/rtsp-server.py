#!/usr/bin/env python3
"""A local RTSP server for the camera tests (GStreamer's rtsp-server through python3-gi).

Serves MP4 files (H.264, or H.265 with the `h265:` prefix) as live cameras:
  rtsp-server.py --port 8554 [--user U --password P] /cam1=/path/a.mp4 /cam2=h265:/path/b.mp4
Each client gets its own pipeline, played in real time from the start of the file. With --user, every
mount needs HTTP Basic credentials. Prints `READY <port>` once it listens; exits on SIGTERM.
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PAY = {"h264": "h264parse ! rtph264pay", "h265": "h265parse ! rtph265pay"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("mounts", nargs="+", help="/path=/file.mp4")
    args = ap.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for spec in args.mounts:
        path, _, file = spec.partition("=")
        codec, sep, rest = file.partition(":")
        codec, file = (codec, rest) if sep and codec in PAY else ("h264", file)
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(f'( filesrc location="{file}" ! qtdemux ! {PAY[codec]} name=pay0 pt=96 config-interval=1 )')
        if args.user:
            perms = GstRtspServer.RTSPPermissions()
            perms.add_permission_for_role("camera", "media.factory.access", True)
            perms.add_permission_for_role("camera", "media.factory.construct", True)
            factory.set_permissions(perms)
        mounts.add_factory(path, factory)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "camera")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on port {args.port}")
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    print(f"READY {args.port}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()

"""Glimpse face recognition worker: detects faces and computes dlib 128-d encodings over HTTP."""

"""Photos and forms: resumable chunked upload, SHA-256 check, metadata stripped from images."""
